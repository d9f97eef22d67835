import { CaresError, describeError, isCaresError } from "@cares/shared";
import { HTTPError } from "h3";

function isDecodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** The HTTP status for each error code; anything not listed is a 500. */
const STATUS_BY_CODE: Record<string, number> = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  invocation_not_found: 404,
  function_not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  function_exists: 409,
  payload_too_large: 413,
  cluster_at_capacity: 429,
  worker_at_capacity: 429,
  too_many_requests: 429,
  cancelled: 499,
  function_failed: 500,
  worker_unreachable: 502,
  worker_error: 502,
  image_unavailable: 502,
  engine_error: 502,
  no_active_node: 503,
  unavailable: 503,
  worker_timeout: 504,
  function_timeout: 504,
};

/** The JSON body every error gets: a stable `error` code, a `message`, then details. */
export interface ErrorBody {
  error: string;
  message: string;
  [detail: string]: unknown;
}

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** A JSON response for `error`, with extra `headers`. */
/** Seconds a caller should wait before retrying a call refused for lack of room. */
export const RETRY_AFTER_SECONDS = 1;

export function errorResponse(error: CaresError, headers: Record<string, string> = {}): Response {
  const body: ErrorBody = { error: error.code, message: error.message, ...error.details };
  const status = statusForCode(error.code);
  const extra: Record<string, string> =
    status === 429 || status === 503 ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {};
  return Response.json(body, { status, headers: { ...extra, ...headers } });
}

/**
 * Turns whatever a handler threw into a CaresError. h3 wraps a thrown Error in its own
 * HTTPError, keeping the original as `cause`; its own errors (no route, bad URL) carry
 * their status. `allowed` lists the methods the path does serve, for a 405.
 */
export function toCaresError(
  error: unknown,
  method: string,
  path: string,
  allowed: readonly string[] = [],
): CaresError {
  const original = error instanceof HTTPError && error.cause instanceof Error ? error.cause : error;
  if (isCaresError(original)) return original;
  if (original instanceof HTTPError) {
    if (original.status === 404 && allowed.length > 0) {
      return new CaresError("method_not_allowed", `${method} is not allowed on ${path}`, {
        details: { allowed },
      });
    }
    if (original.status === 404) {
      return new CaresError("route_not_found", `no route for ${method} ${path}`);
    }
    if (original.status === 400 && !isDecodable(path)) {
      return new CaresError(
        "invalid_request",
        `the path ${path} is not valid percent-encoded text`,
      );
    }
    if (original.status < 500) {
      return new CaresError("invalid_request", original.message);
    }
  }
  return new CaresError("internal_error", `internal error: ${describeError(original)}`, {
    cause: original,
  });
}
