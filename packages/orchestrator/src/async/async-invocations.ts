import { randomUUID } from "node:crypto";
import {
  CaresError,
  backoffDelay,
  describeError,
  isCaresError,
  sleep,
  type Logger,
} from "@cares/shared";
import type { InvocationHistory } from "../history/invocation-history.js";
import type { Invoker } from "../invoke/invoker.js";
import type { FunctionRegistry } from "../registry/function-registry.js";

export interface AsyncInvocationsOptions {
  invoker: Invoker;
  functions: FunctionRegistry;
  history: InvocationHistory;
  log: Logger;
  /** Calls accepted but not ended, at most; past it, new ones get `too_many_requests`. */
  maxQueued: number;
  /** Asynchronous calls sent to nodes at once. */
  concurrency: number;
  /** How long a call waits for a node that can take it before it fails. */
  waitForNodeMs: number;
}

/** Refusals that mean "not now" rather than "never": the call waits and tries again. */
const WAIT_CODES = new Set([
  "no_active_node",
  "cluster_at_capacity",
  "worker_at_capacity",
  "too_many_requests",
]);

interface Pending {
  id: string;
  function: string;
  /** When the call gives up waiting for a node. */
  deadline: number;
}

/**
 * Calls accepted now and run later. Each is written to the history, with its input,
 * before it is acknowledged, so that it survives a restart: `resume()` sends the ones
 * that were never sent, and the history marks `lost` the ones that were running.
 */
export class AsyncInvocations {
  readonly #options: AsyncInvocationsOptions;
  readonly #queue: Pending[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #stop = new AbortController();

  constructor(options: AsyncInvocationsOptions) {
    this.#options = options;
  }

  /** Calls accepted that have not ended. */
  get backlog(): number {
    return this.#queue.length + this.#running.size;
  }

  /**
   * Accepts a call of `name` and returns its invocation id at once. Throws
   * `function_not_found` for an unknown function and `too_many_requests` when the
   * backlog is full.
   */
  accept(name: string, stdin: Buffer, env: Record<string, string>): string {
    this.#options.functions.get(name);
    if (this.#stop.signal.aborted) {
      throw new CaresError("unavailable", "the orchestrator is shutting down");
    }
    if (this.backlog >= this.#options.maxQueued) {
      throw new CaresError(
        "too_many_requests",
        `${this.backlog} asynchronous calls are waiting; try again later`,
        { details: { limit: this.#options.maxQueued } },
      );
    }
    const id = randomUUID();
    this.#options.history.queue({ id, function: name, stdin, env });
    this.#options.log.info("Accepted asynchronous invocation of '{function}'.", {
      function: name,
      invocation: id,
    });
    this.#enqueue(id, name);
    return id;
  }

  /**
   * Picks up where the last run stopped: calls that were running are marked `lost`,
   * calls that were accepted but not sent are sent now.
   */
  resume(): { lost: number; queued: number } {
    const lost = this.#options.history.loseRunning();
    const queued = this.#options.history.queued();
    for (const call of queued) this.#enqueue(call.id, call.function);
    if (lost > 0 || queued.length > 0) {
      this.#options.log.info(
        "Resumed after restart: {queued} queued calls to send, {lost} running calls lost.",
        { queued: queued.length, lost },
      );
    }
    return { lost, queued: queued.length };
  }

  /**
   * Stops sending calls; those still queued stay in the database for the next start.
   * Waits up to `graceMs` for the calls already sent.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stop.abort(new CaresError("unavailable", "stopping"));
    this.#queue.length = 0;
    const timer = sleep(graceMs).catch(() => {});
    await Promise.race([Promise.allSettled([...this.#running]), timer]);
  }

  #enqueue(id: string, name: string): void {
    this.#queue.push({ id, function: name, deadline: Date.now() + this.#options.waitForNodeMs });
    this.#pump();
  }

  #pump(): void {
    while (this.#running.size < this.#options.concurrency && !this.#stop.signal.aborted) {
      const next = this.#queue.shift();
      if (!next) return;
      const run = this.#run(next).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  async #run(call: Pending): Promise<void> {
    const { invoker, history, log } = this.#options;
    const payload = history.payload(call.id);
    if (!payload) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await invoker.invoke(call.function, { ...payload, id: call.id });
        return;
      } catch (error) {
        const code = isCaresError(error) ? error.code : "internal_error";
        const wait = backoffDelay(attempt, 250, 2_000);
        if (this.#stop.signal.aborted) return;
        if (WAIT_CODES.has(code) && Date.now() + wait < call.deadline) {
          try {
            await sleep(wait, this.#stop.signal);
          } catch {
            return;
          }
          continue;
        }
        // Only a call that was never sent is still queued; the history hooks record
        // the end of one that was.
        // Limitation: a call is tried again only while no node could take it; one that
        // failed on its way to a node (even one never reached) ends as an error here.
        history.abandon(call.id, { code, message: describeError(error) });
        log.warn("Asynchronous invocation of '{function}' failed: {error}", {
          function: call.function,
          invocation: call.id,
          error: describeError(error),
        });
        return;
      }
    }
  }
}
