// Conversions between the generated wire messages and CARES's plain types. Nothing
// outside packages/shared/src/grpc touches a wire message.
import {
  ExecutionStatus,
  PullPolicy as WirePullPolicy,
  type LogEntry,
  type FunctionRequest,
  type FunctionResult,
  type HeartbeatRequest,
  type RegisterNodeRequest,
} from "@cares/generated";
import type {
  ExecutionOutcome,
  ExecutionRequest,
  ExecutionResult,
  NodeLoad,
  NodeRegistration,
  PullPolicy,
  RemoteLogLine,
} from "../types.js";

const OUTCOME_TO_STATUS: Record<ExecutionOutcome, ExecutionStatus> = {
  succeeded: ExecutionStatus.EXECUTION_STATUS_SUCCEEDED,
  failed: ExecutionStatus.EXECUTION_STATUS_FAILED,
  "timed-out": ExecutionStatus.EXECUTION_STATUS_TIMED_OUT,
  "image-unavailable": ExecutionStatus.EXECUTION_STATUS_IMAGE_UNAVAILABLE,
  "engine-error": ExecutionStatus.EXECUTION_STATUS_ENGINE_ERROR,
  cancelled: ExecutionStatus.EXECUTION_STATUS_CANCELLED,
};

const STATUS_TO_OUTCOME = new Map(
  Object.entries(OUTCOME_TO_STATUS).map(([outcome, status]) => [
    status,
    outcome as ExecutionOutcome,
  ]),
);

const utf8 = new TextDecoder("utf-8", { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export function toRegisterNodeRequest(registration: NodeRegistration): RegisterNodeRequest {
  return {
    name: registration.name,
    address: registration.address,
    executor: registration.executor,
    heartbeatIntervalMs: registration.heartbeatIntervalMs,
    capacity: { ...registration.capacity },
  };
}

export function fromRegisterNodeRequest(message: RegisterNodeRequest): NodeRegistration {
  return {
    name: message.name,
    address: message.address,
    executor: message.executor,
    heartbeatIntervalMs: message.heartbeatIntervalMs,
    capacity: {
      cpus: message.capacity?.cpus ?? 0,
      memoryBytes: message.capacity?.memoryBytes ?? 0,
      maxConcurrency: message.capacity?.maxConcurrency ?? 0,
    },
  };
}

export function toHeartbeatRequest(load: NodeLoad): HeartbeatRequest {
  return { ...load };
}

export function fromHeartbeatRequest(message: HeartbeatRequest): NodeLoad {
  return { ...message };
}

export function toFunctionRequest(request: ExecutionRequest): FunctionRequest {
  return {
    dockerImage: request.image,
    invocationId: request.invocationId,
    functionName: request.functionName,
    stdin: request.stdin,
    env: request.env,
    timeoutMs: request.timeoutMs,
    memoryBytes: request.memoryBytes,
    nanoCpus: request.nanoCpus,
    network: request.network,
    pullPolicy:
      request.pullPolicy === "never"
        ? WirePullPolicy.PULL_POLICY_NEVER
        : WirePullPolicy.PULL_POLICY_IF_MISSING,
    maxOutputBytes: request.maxOutputBytes,
  };
}

export function fromFunctionRequest(message: FunctionRequest): ExecutionRequest {
  const pullPolicy: PullPolicy =
    message.pullPolicy === WirePullPolicy.PULL_POLICY_NEVER ? "never" : "if-missing";
  return {
    image: message.dockerImage,
    invocationId: message.invocationId,
    functionName: message.functionName,
    stdin: Buffer.from(message.stdin),
    env: { ...message.env },
    timeoutMs: message.timeoutMs,
    memoryBytes: message.memoryBytes,
    nanoCpus: message.nanoCpus,
    network: message.network,
    pullPolicy,
    maxOutputBytes: message.maxOutputBytes,
  };
}

const LEVELS = new Set(["debug", "info", "warn", "error"]);

export function toLogEntry(line: RemoteLogLine): LogEntry {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(line.fields)) {
    if (value === undefined) continue;
    try {
      fields[key] = JSON.stringify(value instanceof Error ? value.message : value) ?? "null";
    } catch {
      fields[key] = JSON.stringify(String(value));
    }
  }
  return {
    timeUnixMs: line.time.getTime(),
    level: line.level,
    message: line.message,
    fields,
  };
}

export function fromLogEntry(entry: LogEntry): RemoteLogLine {
  const fields: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(entry.fields)) {
    try {
      fields[key] = JSON.parse(text);
    } catch {
      fields[key] = text;
    }
  }
  return {
    time: new Date(entry.timeUnixMs),
    level: (LEVELS.has(entry.level) ? entry.level : "info") as RemoteLogLine["level"],
    message: entry.message,
    fields,
  };
}

/** Text output travels in `output`; anything that is not UTF-8 in `output_binary`. */
export function toFunctionResult(result: ExecutionResult): FunctionResult {
  const text = isUtf8(result.stdout);
  return {
    output: text ? result.stdout.toString("utf8") : "",
    outputBinary: text ? Buffer.alloc(0) : result.stdout,
    success: result.outcome === "succeeded",
    status: OUTCOME_TO_STATUS[result.outcome],
    exitCode: result.exitCode,
    stderr: result.stderr,
    durationMs: Math.max(0, Math.round(result.durationMs)),
    errorMessage: result.errorMessage,
    nodeName: result.nodeName,
    outputTruncated: result.outputTruncated,
  };
}

export function fromFunctionResult(message: FunctionResult): ExecutionResult {
  const outcome =
    STATUS_TO_OUTCOME.get(message.status) ?? (message.success ? "succeeded" : "engine-error");
  return {
    outcome,
    exitCode: message.exitCode,
    stdout:
      message.outputBinary.length > 0
        ? Buffer.from(message.outputBinary)
        : Buffer.from(message.output, "utf8"),
    stderr: message.stderr,
    durationMs: message.durationMs,
    errorMessage: message.errorMessage,
    nodeName: message.nodeName,
    outputTruncated: message.outputTruncated,
  };
}
