import { CaresError, type PullPolicy } from "@cares/shared";

/** A registered function: what to run and how. */
export interface FunctionSpec {
  name: string;
  image: string;
  /** The worker kills the call when this passes. */
  timeoutMs: number;
  /** The container's memory limit. */
  memoryBytes: number;
  /** The container's CPU limit in CPUs (0.5 is half a CPU); null for no limit. */
  cpus: number | null;
  /** Environment variables set in every call's container. */
  env: Record<string, string>;
  /** Whether the container gets a network; without one it has only loopback. */
  network: boolean;
  /** The Content-Type of the function's answers. */
  contentType: string;
  pull: PullPolicy;
  /** Calls of this function one worker runs at once; null for no limit of its own. */
  concurrency: number | null;
  /** Standard output past this many bytes is cut. */
  maxOutputBytes: number;
  createdAt: Date;
}

/** Thrown when a call or a look-up names a function that is not registered. */
export class FunctionNotFoundError extends CaresError {
  constructor(name: string) {
    super("function_not_found", `no function named '${name}' is registered`, {
      details: { function: name },
    });
  }
}

/** Where registrations are kept beyond the process, e.g. the FunctionStore. */
export interface FunctionPersistence {
  save(spec: FunctionSpec): void;
  delete(name: string): void;
}

/**
 * Every registered function, by name. Names are unique. With a `persistence`, each
 * change is written there first, so that a change it refuses is not made at all.
 */
export class FunctionRegistry {
  readonly #functions = new Map<string, FunctionSpec>();
  readonly #listeners = new Set<(spec: FunctionSpec, removed: boolean) => void>();
  readonly #persistence: FunctionPersistence | undefined;

  constructor(persistence?: FunctionPersistence) {
    this.#persistence = persistence;
  }

  /** Calls `listener` when a function is added or removed; returns a function that stops it. */
  onChange(listener: (spec: FunctionSpec, removed: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Puts back a function that was registered before a restart, without writing it again. */
  restore(spec: FunctionSpec): void {
    this.#functions.set(spec.name, spec);
  }

  /** Adds a function; fails with `function_exists` when the name is taken. */
  add(spec: FunctionSpec): FunctionSpec {
    if (this.#functions.has(spec.name)) {
      throw new CaresError(
        "function_exists",
        `a function named '${spec.name}' is already registered; delete it first to change it`,
        { details: { function: spec.name } },
      );
    }
    this.#persistence?.save(spec);
    this.#functions.set(spec.name, spec);
    for (const listener of this.#listeners) listener(spec, false);
    return spec;
  }

  /** The function called `name`; throws FunctionNotFoundError when there is none. */
  get(name: string): FunctionSpec {
    const spec = this.#functions.get(name);
    if (!spec) throw new FunctionNotFoundError(name);
    return spec;
  }

  /** Removes the function called `name`; throws FunctionNotFoundError when there is none. */
  remove(name: string): FunctionSpec {
    const spec = this.get(name);
    this.#persistence?.delete(name);
    this.#functions.delete(name);
    for (const listener of this.#listeners) listener(spec, true);
    return spec;
  }

  /** Every function, sorted by name. */
  list(): FunctionSpec[] {
    return [...this.#functions.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get size(): number {
    return this.#functions.size;
  }
}
