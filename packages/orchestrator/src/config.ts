import {
  LOG_FORMATS,
  LOG_LEVELS,
  parseCommandLine,
  type LogFormat,
  type LogLevel,
} from "@cares/shared";
import { builtinStrategies } from "./scheduler/strategies.js";

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
  tui: {
    flag: "tui",
    env: "CARES_TUI",
    kind: "bool",
    default: true,
    description: "draw the terminal UI when standard output is a terminal",
  },
  logFormat: {
    flag: "log-format",
    env: "CARES_LOG_FORMAT",
    kind: "string",
    choices: LOG_FORMATS,
    default: "plain",
    description: "how log lines are printed without the terminal UI",
  },
  logLevel: {
    flag: "log-level",
    env: "CARES_LOG_LEVEL",
    kind: "string",
    choices: LOG_LEVELS,
    default: "info",
    description: "the least severe level printed",
  },
} as const;

export interface OrchestratorConfig {
  host: string;
  httpPort: number;
  grpcPort: number;
  maxBodyBytes: number;
  strategy: string;
  clusterName: string;
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
  return {
    config: {
      ...values,
      logFormat: values.logFormat as LogFormat,
      logLevel: values.logLevel as LogLevel,
    },
  };
}
