import { CaresError, describeError } from "@cares/shared";

/** A failure of the container engine itself (as opposed to the function's). */
export class EngineError extends CaresError {}

/** Rejects with `engine_timeout` when `promise` has not settled within `ms`. */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EngineError("engine_timeout", `the engine did not ${what} within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** A message that says what went wrong with the engine, in words a person can act on. */
export function engineProblem(error: unknown, socketPath: string): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES") {
    return `the Docker engine is not reachable at ${socketPath} (${code}); is dockerd running?`;
  }
  const message = describeError(error);
  if (code === "EPIPE" || code === "ECONNRESET" || /socket hang up/i.test(message)) {
    return `the Docker engine at ${socketPath} closed the connection (${code ?? message})`;
  }
  const json = (error as { json?: { message?: string } } | null)?.json;
  return json?.message ?? message;
}
