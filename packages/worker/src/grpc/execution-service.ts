import type { ClusterHandlers, ExecutionResult, Logger } from "@cares/shared";
import type { Executor } from "../executor/executor.js";

/** The worker's side of the ClusterService: runs the calls the orchestrator sends. */
export class ExecutionService {
  #running = 0;

  constructor(
    private readonly executor: Executor,
    private readonly nodeName: () => string,
    private readonly log: Logger,
  ) {}

  /** Calls running now. */
  get running(): number {
    return this.#running;
  }

  handlers(): Pick<ClusterHandlers, "executeFunction"> {
    return {
      executeFunction: async (request, context) => {
        const log = this.log.child({ invocation: request.invocationId });
        const fields = { image: request.image, function: request.functionName };
        log.info("Received execution request for image '{image}'.", fields);
        this.#running++;
        let result: ExecutionResult;
        try {
          log.info("Starting container for image '{image}'...", fields);
          const outcome = await this.executor.run(request, context.signal);
          result = { ...outcome, nodeName: this.nodeName() };
        } finally {
          this.#running--;
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
