import type { LogFields, LogRecord } from "./logger.js";

/** How log records are printed when no TUI owns the terminal. */
export type LogFormat = "plain" | "json";

/** Every log format, for flag validation. */
export const LOG_FORMATS: readonly LogFormat[] = ["plain", "json"];

/** JSON text of `value`; values JSON cannot hold (BigInt, cycles) fall back to String(). */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return JSON.stringify(String(value));
  }
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return safeJson(value);
}

/** Fields that the message does not already show, as `key=value` pairs. */
function extraFields(record: LogRecord): string {
  const shown = new Set([...record.template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
  return Object.entries(record.fields)
    .filter(([key, value]) => !shown.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(" ");
}

/**
 * One human-readable line:
 * `2026-01-02T03:04:05.678Z [INFO] Job complete. Received result from worker. node=w1`.
 */
export function formatPlain(record: LogRecord): string {
  const extra = extraFields(record);
  const head = `${record.time.toISOString()} [${record.level.toUpperCase()}] ${record.message}`;
  return extra ? `${head}  ${extra}` : head;
}

function toJsonSafe(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) out[key] = value.message;
    else if (typeof value === "bigint") out[key] = value.toString();
    else if (typeof value === "object" && value !== null) out[key] = JSON.parse(safeJson(value));
    else out[key] = value;
  }
  return out;
}

/** One JSON object: `time`, `level`, `msg`, then every field. */
export function formatJson(record: LogRecord): string {
  return JSON.stringify({
    time: record.time.toISOString(),
    level: record.level,
    msg: record.message,
    ...toJsonSafe(record.fields),
  });
}

/** A sink that writes each record as one line to `stream`. */
export function streamSink(
  stream: NodeJS.WritableStream,
  format: LogFormat = "plain",
): (record: LogRecord) => void {
  const toLine = format === "json" ? formatJson : formatPlain;
  return (record) => {
    stream.write(`${toLine(record)}\n`);
  };
}
