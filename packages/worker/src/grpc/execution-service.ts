import { CaresError, type ClusterHandlers, type ExecutionResult, type Logger } from "@cares/shared";
import type { Executor } from "../executor/executor.js";

/** The worker's side of the ClusterService: runs the calls the orchestrator sends. */
export class ExecutionService {
  #running = 0;
  #draining = false;
  readonly #idleWaiters = new Set<() => void>();

  constructor(
    private readonly executor: Executor,
    private readonly nodeName: () => string,
    private readonly log: Logger,
    /** Calls run at once; further ones are refused with `at_capacity`. 0 for no limit. */
    private readonly capacity = 0,
  ) {}

  /** Calls running now. */
  get running(): number {
    return this.#running;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * Stops taking calls (they are refused with `draining`, so the orchestrator sends them
   * elsewhere) and resolves once the running ones have finished, or after `boundMs`.
   * Resolves with the number still running then.
   */
  async drain(boundMs: number): Promise<number> {
    this.#draining = true;
    if (this.#running === 0) return 0;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, boundMs);
      this.#idleWaiters.add(done);
    });
    return this.#running;
  }

  handlers(): Pick<ClusterHandlers, "executeFunction"> {
    return {
      executeFunction: async (request, context) => {
        const log = this.log.child({ invocation: request.invocationId });
        const fields = { image: request.image, function: request.functionName };
        if (this.#draining) {
          log.warn("Refused a call for image '{image}': the worker is draining.", fields);
          throw new CaresError("draining", "the worker is shutting down and takes no new calls");
        }
        if (this.capacity > 0 && this.#running >= this.capacity) {
          log.warn("Refused a call for image '{image}': {running} of {capacity} slots busy.", {
            ...fields,
            running: this.#running,
            capacity: this.capacity,
          });
          throw new CaresError("at_capacity", `the worker runs ${this.capacity} calls at once`);
        }
        log.info("Received execution request for image '{image}'.", fields);
        this.#running++;
        let result: ExecutionResult;
        try {
          log.info("Starting container for image '{image}'...", fields);
          const outcome = await this.executor.run(request, context.signal);
          result = { ...outcome, nodeName: this.nodeName() };
        } finally {
          this.#running--;
          if (this.#running === 0) for (const wake of this.#idleWaiters) wake();
        }
        const summary = {
          ...fields,
          outcome: result.outcome,
          exitCode: result.exitCode,
          durationMs: result.durationMs,
        };
        if (result.outcome === "succeeded" || result.outcome === "failed") {
          log.info("Container finished. Sending result back to Orchestrator.", summary);
        } else if (result.outcome === "cancelled") {
          log.warn("Call cancelled by the orchestrator; container stopped.", summary);
        } else if (result.outcome === "timed-out") {
          log.warn(
            "Container stopped at its timeout. Sending result back to Orchestrator.",
            summary,
          );
        } else {
          log.error("Could not run image '{image}': {error}", {
            ...summary,
            error: result.errorMessage,
          });
        }
        return result;
      },
    };
  }
}
