/** Extra facts about an error, shown to whoever receives it (HTTP body, gRPC details). */
export type ErrorDetails = Record<string, unknown>;

export interface CaresErrorOptions {
  cause?: unknown;
  details?: ErrorDetails;
}

/**
 * The one error type of CARES. `code` is a stable, machine-readable string (`snake_case`)
 * that clients may switch on; `message` is for people. Each boundary (HTTP, gRPC) maps
 * the code once to its own status.
 */
export class CaresError extends Error {
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(code: string, message: string, options: CaresErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True for any CaresError, including subclasses. */
export function isCaresError(value: unknown): value is CaresError {
  return value instanceof CaresError;
}

/** A one-line description of anything thrown, for logs and error bodies. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
