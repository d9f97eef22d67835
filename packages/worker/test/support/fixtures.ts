import { randomUUID } from "node:crypto";
import { Logger, type ExecutionRequest, type LogRecord } from "@cares/shared";

/**
 * A complete execution request for `image` with the worker's defaults everywhere, so that
 * tests name only what they are about.
 */
export function executionRequest(
  image: string,
  extra: Partial<ExecutionRequest> = {},
): ExecutionRequest {
  return {
    invocationId: randomUUID(),
    functionName: "fn",
    image,
    stdin: Buffer.alloc(0),
    env: {},
    timeoutMs: 0,
    memoryBytes: 0,
    nanoCpus: 0,
    network: false,
    pullPolicy: "if-missing",
    maxOutputBytes: 0,
    ...extra,
  };
}

/** A logger whose records land in an array. */
export function collectingLogger(fields: Record<string, unknown> = {}) {
  const records: LogRecord[] = [];
  const log = new Logger((record) => records.push(record), { level: "debug", fields });
  return { log, records };
}
