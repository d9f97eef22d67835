import { describeError, type Logger } from "@cares/shared";
import type { FunctionSpec } from "../registry/function-registry.js";
import type { NodeRecord } from "../registry/node-registry.js";
import type { Invocation } from "./invoker.js";

/** A call as the invoker received it. */
export interface ReceivedCall {
  id: string;
  functionName: string;
  /** The size of its standard input. */
  stdinBytes: number;
}

/**
 * What the invoker tells about each call, for history and metrics. Every call that is
 * `received` ends in exactly one of `completed` and `failed`; `dispatching` comes in
 * between when a node was chosen. Hooks run synchronously and must be quick; what they
 * throw is logged and otherwise ignored.
 */
export interface InvocationHooks {
  received?(call: ReceivedCall): void;
  dispatching?(call: ReceivedCall & { function: FunctionSpec; node: NodeRecord }): void;
  /** The worker answered, whatever the function's outcome. */
  completed?(call: ReceivedCall, invocation: Invocation): void;
  /** The call could not be completed: no such function, no node, a dispatch failure. */
  failed?(call: ReceivedCall, error: unknown): void;
}

type HookName = keyof InvocationHooks;

/** The hooks added to one invoker, called in the order they were added. */
export class InvocationHookList {
  readonly #hooks = new Set<InvocationHooks>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Adds `hooks`; returns a function that removes them. */
  add(hooks: InvocationHooks): () => void {
    this.#hooks.add(hooks);
    return () => this.#hooks.delete(hooks);
  }

  emit<K extends HookName>(name: K, ...args: Parameters<NonNullable<InvocationHooks[K]>>): void {
    for (const hooks of this.#hooks) {
      const hook = hooks[name] as ((...a: typeof args) => void) | undefined;
      if (!hook) continue;
      try {
        hook.apply(hooks, args);
      } catch (error) {
        this.#log.error("Invocation hook {hook} failed: {error}", {
          hook: name,
          error: describeError(error),
        });
      }
    }
  }
}
