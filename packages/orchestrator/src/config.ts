import { resolve } from "node:path";
import {
  CLUSTER_SECURITY_OPTIONS,
  ConfigError,
  parseCommandLine,
  parseDurationMs,
  readSecret,
  resolveClusterSecurity,
  type ClusterSecurity,
  type LogFormat,
  type LogLevel,
  OUTPUT_OPTIONS,
} from "@cares/shared";
import { builtinStrategies } from "./scheduler/strategies.js";

/** Where the database lives when nothing says, under the directory the program started from. */
export const DEFAULT_DATA_DIR = ".cares/data";

/** Every orchestrator setting: its flag, its environment variable and its default. */
export const ORCHESTRATOR_OPTIONS = {
  host: {
    flag: "host",
    env: "CARES_HOST",
    kind: "string",
    default: "127.0.0.1",
    description: "address the HTTP and gRPC ports listen on (0.0.0.0 for every interface)",
  },
  httpPort: {
    flag: "http-port",
    env: "CARES_HTTP_PORT",
    kind: "port",
    default: 8080,
    description: "port of the HTTP API (0 picks a free one)",
  },
  grpcPort: {
    flag: "grpc-port",
    env: "CARES_GRPC_PORT",
    kind: "port",
    default: 50051,
    description: "port where workers register (0 picks a free one)",
  },
  maxBodyBytes: {
    flag: "max-body-bytes",
    env: "CARES_MAX_BODY_BYTES",
    kind: "int",
    min: 0,
    max: 60 * 1024 * 1024,
    default: 6 * 1024 * 1024,
    description: "largest invocation body accepted, in bytes",
  },
  strategy: {
    flag: "strategy",
    env: "CARES_STRATEGY",
    kind: "string",
    choices: builtinStrategies().names(),
    default: "least-cost",
    description: "how the node for a call is chosen",
  },
  clusterName: {
    flag: "cluster-name",
    env: "CARES_CLUSTER_NAME",
    kind: "string",
    default: "cares",
    description: "the cluster's name, shown in the terminal UI",
  },
  maxHeaderBytes: {
    flag: "max-header-bytes",
    env: "CARES_MAX_HEADER_BYTES",
    kind: "int",
    min: 1024,
    max: 1024 * 1024,
    default: 16 * 1024,
    description: "largest request head (request line and headers) accepted, in bytes",
  },
  maxInFlight: {
    flag: "max-in-flight",
    env: "CARES_MAX_IN_FLIGHT",
    kind: "int",
    min: 1,
    max: 100_000,
    default: 256,
    description: "function calls running at once, at most; past it calls get 429",
  },
  dataDir: {
    flag: "data-dir",
    env: "CARES_DATA_DIR",
    kind: "string",
    default: DEFAULT_DATA_DIR,
    description: "folder of the database (functions, history, queued calls)",
  },
  historyMaxCount: {
    flag: "history-max-count",
    env: "CARES_HISTORY_MAX_COUNT",
    kind: "int",
    min: 1,
    max: 100_000_000,
    default: 10_000,
    description: "ended invocations kept in the history, at most",
  },
  historyMaxAge: {
    flag: "history-max-age",
    env: "CARES_HISTORY_MAX_AGE",
    kind: "string",
    default: "168h",
    description: "how long ended invocations are kept (e.g. 30m, 24h)",
  },
  maxQueued: {
    flag: "max-queued",
    env: "CARES_MAX_QUEUED",
    kind: "int",
    min: 1,
    max: 1_000_000,
    default: 1_000,
    description: "asynchronous calls accepted and not ended, at most; past it they get 429",
  },
  asyncConcurrency: {
    flag: "async-concurrency",
    env: "CARES_ASYNC_CONCURRENCY",
    kind: "int",
    min: 1,
    max: 10_000,
    default: 16,
    description: "asynchronous calls sent to workers at once",
  },
  asyncWait: {
    flag: "async-wait",
    env: "CARES_ASYNC_WAIT",
    kind: "string",
    default: "60s",
    description: "how long an asynchronous call waits for a node before it fails",
  },
  apiTokenFile: {
    flag: "api-token-file",
    env: "CARES_API_TOKEN_FILE",
    kind: "string",
    default: "",
    description: "file holding the HTTP API's bearer token (else CARES_API_TOKEN)",
  },
  ...CLUSTER_SECURITY_OPTIONS,
  ...OUTPUT_OPTIONS,
} as const;

export interface OrchestratorConfig {
  host: string;
  httpPort: number;
  grpcPort: number;
  maxBodyBytes: number;
  strategy: string;
  clusterName: string;
  maxHeaderBytes: number;
  maxInFlight: number;
  /** An absolute path. */
  dataDir: string;
  historyMaxCount: number;
  historyMaxAgeMs: number;
  maxQueued: number;
  asyncConcurrency: number;
  asyncWaitMs: number;
  /** The HTTP API's bearer token; empty when the API is open. */
  apiToken: string;
  /** The join token and TLS of the gRPC side. */
  security: ClusterSecurity;
  tui: boolean;
  logFormat: LogFormat;
  logLevel: LogLevel;
}

const USAGE = "pnpm --filter orchestrator start -- [options]";

/**
 * Reads the orchestrator's settings from flags, then the environment, then defaults.
 * Returns the help text instead when `--help` was given; throws ConfigError listing
 * every bad value.
 */
export function loadOrchestratorConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { help: string } | { config: OrchestratorConfig } {
  const parsed = parseCommandLine(USAGE, ORCHESTRATOR_OPTIONS, argv, env);
  if (parsed.help) return { help: parsed.text };
  const values = parsed.values;

  const problems: string[] = [];
  const duration = (flag: string, text: string) => {
    const ms = parseDurationMs(text);
    if (ms === undefined || ms <= 0) {
      problems.push(`--${flag} must be a duration such as 90s, 30m or 24h (got '${text}')`);
    }
    return ms ?? 0;
  };
  const historyMaxAgeMs = duration("history-max-age", values.historyMaxAge);
  const asyncWaitMs = duration("async-wait", values.asyncWait);
  const apiToken = readSecret(values.apiTokenFile, env.CARES_API_TOKEN, "api-token-file", problems);
  const security = resolveClusterSecurity(values, env, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    config: {
      host: values.host,
      httpPort: values.httpPort,
      grpcPort: values.grpcPort,
      maxBodyBytes: values.maxBodyBytes,
      strategy: values.strategy,
      clusterName: values.clusterName,
      maxHeaderBytes: values.maxHeaderBytes,
      maxInFlight: values.maxInFlight,
      // pnpm runs the program in the package's folder; INIT_CWD is where it was started.
      dataDir: resolve(env.INIT_CWD || process.cwd(), values.dataDir),
      historyMaxCount: values.historyMaxCount,
      historyMaxAgeMs,
      maxQueued: values.maxQueued,
      asyncConcurrency: values.asyncConcurrency,
      asyncWaitMs,
      apiToken,
      security,
      tui: values.tui,
      logFormat: values.logFormat as LogFormat,
      logLevel: values.logLevel as LogLevel,
    },
  };
}
