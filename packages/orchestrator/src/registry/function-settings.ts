import { CaresError, checkImageReference, checkName, parseDurationMs } from "@cares/shared";
import type { FunctionSpec } from "./function-registry.js";

/** A call's timeout when the function does not set one. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** The longest timeout a function may ask for. */
export const MAX_TIMEOUT_MS = 15 * 60_000;

const FIELDS = new Set(["name", "image", "timeout", "env"]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(field: string, message: string): CaresError {
  return new CaresError("invalid_request", `${field} ${message}`, { details: { field } });
}

function parseEnv(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("env", "must be an object of names to string values");
  }
  // No prototype, so that a variable named like an Object member is kept as written.
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, item] of Object.entries(value)) {
    if (!ENV_NAME.test(key)) {
      throw invalid("env", `has '${key}', which is not a valid variable name`);
    }
    if (typeof item !== "string") throw invalid("env", `value of '${key}' must be a string`);
    env[key] = item;
  }
  return env;
}

function parseTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0 || ms > MAX_TIMEOUT_MS) {
    throw invalid(
      "timeout",
      `must be seconds (a number) or a duration like "500ms", "30s" or "2m", ` +
        `above 0 and at most ${MAX_TIMEOUT_MS / 60_000} minutes`,
    );
  }
  return ms;
}

/**
 * Checks a registration body (`{"name", "image", "timeout"?, "env"?}`) and returns the
 * function it describes. Throws `invalid_request` naming the first field that is wrong.
 */
export function parseFunctionSpec(body: Record<string, unknown>, now = new Date()): FunctionSpec {
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    throw invalid(unknown[0]!, `is not a known field (known: ${[...FIELDS].join(", ")})`);
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
    env: parseEnv(body.env),
    createdAt: now,
  };
}

/** The JSON form of a function, as the API shows it. */
export function describeFunction(spec: FunctionSpec) {
  return {
    name: spec.name,
    image: spec.image,
    timeout: spec.timeoutMs / 1000,
    env: spec.env,
    createdAt: spec.createdAt.toISOString(),
  };
}
