import type { ExecutionRequest, ExecutionResult, Logger } from "@cares/shared";

/** What an executor reports; the worker adds its own name. */
export type ExecutorResult = Omit<ExecutionResult, "nodeName">;

/**
 * Runs function calls. An executor never throws for a function's own failure, nor for
 * an engine that cannot run it: it returns an outcome that says what happened.
 */
export interface Executor {
  readonly name: string;
  /**
   * Runs one call to completion, bounded by the request's timeout. Aborting `signal`
   * stops the call and gives the `cancelled` outcome.
   */
  run(request: ExecutionRequest, signal: AbortSignal): Promise<ExecutorResult>;
  /** Why the executor cannot run calls now (its engine does not answer); "" when it can. */
  health(): Promise<string>;
  /** Removes whatever earlier calls of this worker left behind (crashed runs). */
  cleanUp(): Promise<void>;
  /** Releases the executor's resources. */
  close(): Promise<void>;
}

export interface ExecutorContext {
  /** The worker's node name, stamped on whatever the executor creates. */
  workerName: string;
  /** The timeout of a call whose request gives none. */
  defaultTimeoutMs: number;
  log: Logger;
  /** Plugin settings, as given on the command line or in the environment. */
  settings: Readonly<Record<string, string>>;
  /** Told how long a container took from creation to running, in ms (for metrics). */
  onContainerStarted?: (ms: number) => void;
}

export type ExecutorFactory = (context: ExecutorContext) => Executor;

/** Executor plugins by name. */
export class ExecutorRegistry {
  readonly #factories = new Map<string, ExecutorFactory>();

  register(name: string, factory: ExecutorFactory): void {
    if (this.#factories.has(name)) throw new Error(`executor '${name}' is registered twice`);
    this.#factories.set(name, factory);
  }

  create(name: string, context: ExecutorContext): Executor {
    const factory = this.#factories.get(name);
    if (!factory) {
      throw new Error(`no executor named '${name}' (known: ${this.names().join(", ")})`);
    }
    return factory(context);
  }

  names(): string[] {
    return [...this.#factories.keys()].sort();
  }
}

/** Milliseconds since `start`, a `performance.now()` reading. */
export function elapsedSince(start: number): number {
  return Math.round(performance.now() - start);
}
