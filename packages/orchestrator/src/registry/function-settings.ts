import {
  CaresError,
  checkImageReference,
  checkName,
  parseDurationMs,
  parseSizeBytes,
} from "@cares/shared";
import type { FunctionSpec } from "./function-registry.js";

/** The settings a function gets when its registration does not name them. */
export const FUNCTION_DEFAULTS = {
  timeoutMs: 30_000,
  memoryBytes: 256 * 1024 ** 2,
  contentType: "text/plain; charset=utf-8",
  maxOutputBytes: 10 * 1024 ** 2,
} as const;

/** The bounds of each setting. */
export const FUNCTION_LIMITS = {
  maxTimeoutMs: 15 * 60_000,
  /** The engine refuses less than 6 MiB. */
  minMemoryBytes: 6 * 1024 ** 2,
  maxMemoryBytes: 64 * 1024 ** 3,
  maxCpus: 64,
  maxConcurrency: 10_000,
  /** Keeps every answer under the gRPC message limit, with room for the rest. */
  maxOutputBytes: 48 * 1024 ** 2,
} as const;

const FIELDS = [
  "name",
  "image",
  "timeout",
  "memory",
  "cpus",
  "env",
  "network",
  "contentType",
  "pull",
  "concurrency",
  "maxOutput",
] as const;
const KNOWN = new Set<string>(FIELDS);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// type/subtype, then parameters; the characters RFC 9110 allows in tokens.
const MEDIA_TYPE =
  /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;\s*[\w!#$&^.+-]+=("[^"\\\r\n]*"|[\w!#$&^.+-]+))*$/;

function invalid(field: string, message: string): CaresError {
  return new CaresError("invalid_request", `${field} ${message}`, { details: { field } });
}

function parseEnv(value: unknown): Record<string, string> {
  // No prototype, so that a variable named like an Object member is kept as written.
  const env = Object.create(null) as Record<string, string>;
  if (value === undefined) return env;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("env", "must be an object of names to string values");
  }
  for (const [key, item] of Object.entries(value)) {
    if (!ENV_NAME.test(key)) {
      throw invalid("env", `has '${key}', which is not a valid variable name`);
    }
    if (typeof item !== "string") throw invalid("env", `value of '${key}' must be a string`);
    if (item.includes("\0"))
      throw invalid("env", `value of '${key}' must not hold a NUL character`);
    env[key] = item;
  }
  return env;
}

function parseTimeout(value: unknown): number {
  if (value === undefined) return FUNCTION_DEFAULTS.timeoutMs;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0 || ms > FUNCTION_LIMITS.maxTimeoutMs) {
    throw invalid(
      "timeout",
      `must be seconds (a number) or a duration like "500ms", "30s" or "2m", ` +
        `above 0 and at most ${FUNCTION_LIMITS.maxTimeoutMs / 60_000} minutes`,
    );
  }
  return ms;
}

function parseSize(field: string, value: unknown, fallback: number, min: number, max: number) {
  if (value === undefined) return fallback;
  const bytes = parseSizeBytes(value);
  if (bytes === undefined || bytes < min || bytes > max) {
    throw invalid(
      field,
      `must be bytes (a number) or a size like "256Mi" or "1Gi", from ${min} to ${max} bytes`,
    );
  }
  return bytes;
}

function parseCpus(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !(value > 0) || value > FUNCTION_LIMITS.maxCpus) {
    throw invalid(
      "cpus",
      `must be a number of CPUs above 0 and at most ${FUNCTION_LIMITS.maxCpus}`,
    );
  }
  if (Math.round(value * 1e9) < 1e7) throw invalid("cpus", "must be at least 0.01");
  return value;
}

function parseConcurrency(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw invalid("concurrency", "must be a whole number of calls, at least 1");
  }
  if ((value as number) > FUNCTION_LIMITS.maxConcurrency) {
    throw invalid("concurrency", `must be at most ${FUNCTION_LIMITS.maxConcurrency}`);
  }
  return value as number;
}

function parseBoolean(field: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw invalid(field, "must be true or false");
  return value;
}

function parseContentType(value: unknown): string {
  if (value === undefined) return FUNCTION_DEFAULTS.contentType;
  if (typeof value !== "string" || value.length > 255 || !MEDIA_TYPE.test(value.trim())) {
    throw invalid("contentType", `must be a media type such as "application/json"`);
  }
  return value.trim();
}

function parsePull(value: unknown): FunctionSpec["pull"] {
  if (value === undefined) return "if-missing";
  if (value !== "if-missing" && value !== "never") {
    throw invalid("pull", `must be "if-missing" or "never"`);
  }
  return value;
}

/**
 * Checks a registration body and returns the function it describes, every setting
 * filled in. Throws `invalid_request` naming the first field that is wrong.
 */
export function parseFunctionSpec(body: Record<string, unknown>, now = new Date()): FunctionSpec {
  const unknown = Object.keys(body).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) {
    throw invalid(unknown[0]!, `is not a known field (known: ${FIELDS.join(", ")})`);
  }
  if (body.name === undefined) throw invalid("name", "is required");
  const nameProblem = checkName(body.name);
  if (nameProblem) throw invalid("name", nameProblem);
  if (body.image === undefined) throw invalid("image", "is required");
  const imageProblem = checkImageReference(body.image);
  if (imageProblem) throw invalid("image", imageProblem);

  return {
    name: body.name as string,
    image: body.image as string,
    timeoutMs: parseTimeout(body.timeout),
    memoryBytes: parseSize(
      "memory",
      body.memory,
      FUNCTION_DEFAULTS.memoryBytes,
      FUNCTION_LIMITS.minMemoryBytes,
      FUNCTION_LIMITS.maxMemoryBytes,
    ),
    cpus: parseCpus(body.cpus),
    env: parseEnv(body.env),
    network: parseBoolean("network", body.network),
    contentType: parseContentType(body.contentType),
    pull: parsePull(body.pull),
    concurrency: parseConcurrency(body.concurrency),
    maxOutputBytes: parseSize(
      "maxOutput",
      body.maxOutput,
      FUNCTION_DEFAULTS.maxOutputBytes,
      1,
      FUNCTION_LIMITS.maxOutputBytes,
    ),
    createdAt: now,
  };
}

/** The JSON form of a function, as the API shows it: every setting in effect. */
export function describeFunction(spec: FunctionSpec) {
  return {
    name: spec.name,
    image: spec.image,
    timeout: spec.timeoutMs / 1000,
    memory: spec.memoryBytes,
    cpus: spec.cpus,
    env: { ...spec.env },
    network: spec.network,
    contentType: spec.contentType,
    pull: spec.pull,
    concurrency: spec.concurrency,
    maxOutput: spec.maxOutputBytes,
    createdAt: spec.createdAt.toISOString(),
  };
}
