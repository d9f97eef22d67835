import {
  CLUSTER_SECURITY_OPTIONS,
  resolveClusterSecurity,
  type ClusterSecurity,
  checkName,
  ConfigError,
  parseCommandLine,
  type LogFormat,
  type LogLevel,
  OUTPUT_OPTIONS,
} from "@cares/shared";
import { availableParallelism } from "node:os";
import { METRICS_SOURCES, type MetricsSettings } from "./metrics/builtins.js";
import { parseFakeUsage } from "./metrics/fake-metrics.js";

/** Every worker setting: its flag, its environment variable and its default. */
export const WORKER_OPTIONS = {
  orchestrator: {
    flag: "orchestrator",
    env: "CARES_ORCHESTRATOR",
    kind: "string",
    default: "localhost:50051",
    description: "host:port of the orchestrator's gRPC port",
  },
  host: {
    flag: "host",
    env: "CARES_WORKER_HOST",
    kind: "string",
    default: "127.0.0.1",
    description: "address the worker's gRPC port listens on",
  },
  port: {
    flag: "port",
    env: "CARES_WORKER_PORT",
    kind: "port",
    default: 50052,
    description: "port the worker serves calls on (0 picks a free one)",
  },
  advertise: {
    flag: "advertise",
    env: "CARES_WORKER_ADVERTISE",
    kind: "string",
    default: "",
    description: "host:port the orchestrator should call (default: the listening address)",
  },
  name: {
    flag: "name",
    env: "CARES_WORKER_NAME",
    kind: "string",
    default: "",
    description: "node name, a DNS label (default: worker-<port>)",
  },
  executor: {
    flag: "executor",
    env: "CARES_EXECUTOR",
    kind: "string",
    choices: ["docker", "fake"],
    default: "docker",
    description: "how functions run",
  },
  dockerSocket: {
    flag: "docker-socket",
    env: "CARES_DOCKER_SOCKET",
    kind: "string",
    default: "/var/run/docker.sock",
    description: "the Docker engine's socket (docker executor)",
  },
  warmPool: {
    flag: "warm-pool",
    env: "CARES_WARM_POOL",
    kind: "int",
    min: 0,
    max: 16,
    default: 1,
    description: "containers created ahead of time per function and settings (docker executor)",
  },
  warmPoolIdle: {
    flag: "warm-pool-idle",
    env: "CARES_WARM_POOL_IDLE_MS",
    kind: "int",
    min: 100,
    max: 3_600_000,
    default: 60_000,
    description: "milliseconds a container made ahead of time waits before it is removed",
  },
  fakeRules: {
    flag: "fake-rules",
    env: "CARES_FAKE_RULES",
    kind: "string",
    default: "",
    description: "JSON file of per-image results (fake executor)",
  },
  capacity: {
    flag: "capacity",
    env: "CARES_CAPACITY",
    kind: "int",
    min: 0,
    max: 10_000,
    default: 0,
    description: "calls run at once (0: twice the CPU count)",
  },
  metrics: {
    flag: "metrics",
    env: "CARES_METRICS",
    kind: "string",
    choices: Object.keys(METRICS_SOURCES),
    default: "host",
    description: "where load is read: the whole machine, this worker's cgroup, or fixed figures",
  },
  fakeUsage: {
    flag: "fake-usage",
    env: "CARES_FAKE_USAGE",
    kind: "string",
    default: "0,0",
    description: "CPU and memory percent the fake metrics source reports, as cpu,memory",
  },
  drainTimeout: {
    flag: "drain-timeout",
    env: "CARES_DRAIN_TIMEOUT_MS",
    kind: "int",
    min: 0,
    max: 3_600_000,
    default: 30_000,
    description: "milliseconds running calls get to finish when the worker stops",
  },
  heartbeatInterval: {
    flag: "heartbeat-interval",
    env: "CARES_HEARTBEAT_INTERVAL_MS",
    kind: "int",
    min: 100,
    max: 60_000,
    default: 2_000,
    description: "milliseconds between heartbeats",
  },
  metricsPort: {
    flag: "metrics-port",
    env: "CARES_WORKER_METRICS_PORT",
    kind: "int",
    min: -1,
    max: 65535,
    default: 0,
    description: "port of GET /metrics and /healthz (0 picks a free one, -1 serves none)",
  },
  ...CLUSTER_SECURITY_OPTIONS,
  ...OUTPUT_OPTIONS,
} as const;

export interface WorkerConfig {
  orchestrator: string;
  host: string;
  port: number;
  advertise: string;
  name: string;
  executor: string;
  /** Settings handed to the executor plugin. */
  executorSettings: Record<string, string>;
  heartbeatIntervalMs: number;
  /** Calls run at once. */
  capacity: number;
  /** The metrics source's name. */
  metrics: string;
  /** Settings handed to the metrics source. */
  metricsSettings: MetricsSettings;
  drainTimeoutMs: number;
  /** The metrics port; 0 picks a free one, -1 serves none. */
  metricsPort: number;
  /** The join token and TLS of the gRPC side. */
  security: ClusterSecurity;
  tui: boolean;
  logFormat: LogFormat;
  logLevel: LogLevel;
}

const USAGE = "pnpm --filter worker start -- [options]";
const HOST_PORT = /^[^\s/]+:(\d{1,5})$/;

/** True for `host:port` with a port from 1 to 65535. */
function isHostPort(value: string): boolean {
  const port = HOST_PORT.exec(value)?.[1];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}

/** How a person gave an option: the flag when it is on the command line, else its variable. */
function source(argv: readonly string[], flag: string, env: string): string {
  return argv.some((arg) => arg === `--${flag}` || arg.startsWith(`--${flag}=`))
    ? `--${flag}`
    : env;
}

/**
 * Reads the worker's settings from flags, then the environment, then defaults.
 * Returns the help text instead when `--help` was given; throws ConfigError listing
 * every bad value.
 */
export function loadWorkerConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { help: string } | { config: WorkerConfig } {
  const parsed = parseCommandLine(USAGE, WORKER_OPTIONS, argv, env);
  if (parsed.help) return { help: parsed.text };
  const v = parsed.values;

  const problems: string[] = [];
  const named = (key: keyof typeof WORKER_OPTIONS) =>
    source(argv, WORKER_OPTIONS[key].flag, WORKER_OPTIONS[key].env);
  if (!isHostPort(v.orchestrator)) {
    problems.push(`${named("orchestrator")} must be host:port (got '${v.orchestrator}')`);
  }
  if (v.advertise && !isHostPort(v.advertise)) {
    problems.push(`${named("advertise")} must be host:port (got '${v.advertise}')`);
  }
  const nameProblem = v.name ? checkName(v.name) : undefined;
  if (nameProblem) problems.push(`${named("name")} ${nameProblem}`);
  if (!parseFakeUsage(v.fakeUsage)) {
    problems.push(`${named("fakeUsage")} must be cpu,memory in percent (got '${v.fakeUsage}')`);
  }
  const security = resolveClusterSecurity(v, env, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    config: {
      orchestrator: v.orchestrator,
      host: v.host,
      port: v.port,
      advertise: v.advertise,
      name: v.name,
      executor: v.executor,
      executorSettings:
        v.executor === "docker"
          ? {
              socket: v.dockerSocket,
              warmPool: String(v.warmPool),
              warmPoolIdleMs: String(v.warmPoolIdle),
            }
          : { rules: v.fakeRules },
      heartbeatIntervalMs: v.heartbeatInterval,
      capacity: v.capacity || availableParallelism() * 2,
      metrics: v.metrics,
      metricsSettings: { fakeUsage: v.fakeUsage },
      drainTimeoutMs: v.drainTimeout,
      metricsPort: v.metricsPort,
      security,
      tui: v.tui,
      logFormat: v.logFormat as LogFormat,
      logLevel: v.logLevel as LogLevel,
    },
  };
}
