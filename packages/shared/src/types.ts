/** What a worker can take on. */
export interface NodeCapacity {
  cpus: number;
  memoryBytes: number;
  /** Executions the worker runs at once; 0 when it did not say. */
  maxConcurrency: number;
}

/** A worker's announcement of itself. */
export interface NodeRegistration {
  name: string;
  /** host:port where the worker serves ExecuteFunction. */
  address: string;
  capacity: NodeCapacity;
  executor: string;
  /** How often the worker sends heartbeats. */
  heartbeatIntervalMs: number;
}

/** The answer to a registration. */
export interface RegistrationGrant {
  nodeId: string;
  heartbeatIntervalMs: number;
}

/** A worker's load report. Usages are percentages from 0 to 100. */
export interface NodeLoad {
  nodeId: string;
  cpuUsage: number;
  memoryUsage: number;
  runningExecutions: number;
  /** The worker is shutting down and takes no new calls. */
  draining: boolean;
  /** Why the worker cannot run functions now; empty when it can. */
  unhealthyReason: string;
}

/** One log line of a worker, as forwarded to the orchestrator. */
export interface RemoteLogLine {
  time: Date;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  fields: Record<string, unknown>;
}

/** Whether a worker may pull an image it does not have. */
export type PullPolicy = "if-missing" | "never";

/** One call of a function, as a worker receives it. */
export interface ExecutionRequest {
  invocationId: string;
  functionName: string;
  image: string;
  stdin: Buffer;
  env: Record<string, string>;
  /** The worker kills the function when this passes; 0 means the worker's default. */
  timeoutMs: number;
  /** Memory limit in bytes; 0 means the worker's default. */
  memoryBytes: number;
  /** CPU limit in billionths of a CPU; 0 means no limit. */
  nanoCpus: number;
  /** Whether the function gets a network; without it, only loopback. */
  network: boolean;
  pullPolicy: PullPolicy;
  /** Standard output past this many bytes is dropped; 0 means the worker's default. */
  maxOutputBytes: number;
}

/**
 * What became of a call: `succeeded` and `failed` ran to an exit code; the others did
 * not finish on their own.
 */
export type ExecutionOutcome =
  "succeeded" | "failed" | "timed-out" | "image-unavailable" | "engine-error" | "cancelled";

export interface ExecutionResult {
  outcome: ExecutionOutcome;
  /** The process's exit code; -1 when it never exited on its own. */
  exitCode: number;
  stdout: Buffer;
  /** The end of standard error, as text. */
  stderr: string;
  durationMs: number;
  /** Why the function could not run; empty when it ran. */
  errorMessage: string;
  nodeName: string;
  /** True when standard output passed its cap and was cut. */
  outputTruncated: boolean;
}
