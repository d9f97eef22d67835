import { isCaresError, describeError, type ExecutionOutcome } from "@cares/shared";
import type { InvocationHooks } from "../invoke/invocation-hooks.js";
import type { InvocationEnd, InvocationHistory } from "./invocation-history.js";

const STATUS_OF_OUTCOME: Record<ExecutionOutcome, InvocationEnd["status"]> = {
  succeeded: "succeeded",
  failed: "failed",
  "timed-out": "timed-out",
  cancelled: "cancelled",
  "image-unavailable": "error",
  "engine-error": "error",
};

const ERROR_CODE_OF_OUTCOME: Partial<Record<ExecutionOutcome, string>> = {
  "image-unavailable": "image_unavailable",
  "engine-error": "engine_error",
};

/**
 * Hooks that write every call sent to a node into the history: `running` when it is
 * sent, then how it ended. Calls refused before a node was chosen (no such function, no
 * node) leave no entry; asynchronous calls have one from the moment they are accepted.
 */
export function historyHooks(history: InvocationHistory): InvocationHooks {
  return {
    dispatching(call) {
      history.started({
        id: call.id,
        function: call.function.name,
        node: call.node.name,
        requestBytes: call.stdinBytes,
      });
    },

    completed(call, { result }) {
      const code = ERROR_CODE_OF_OUTCOME[result.outcome];
      history.ended(call.id, {
        status: STATUS_OF_OUTCOME[result.outcome],
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        responseBytes: result.stdout.length,
        error: code ? { code, message: result.errorMessage } : undefined,
        output: {
          stdout: result.stdout,
          stderr: result.stderr,
          outputTruncated: result.outputTruncated,
        },
      });
    },

    failed(call, error) {
      const code = isCaresError(error) ? error.code : "internal_error";
      history.ended(call.id, {
        status: code === "cancelled" ? "cancelled" : "error",
        error: { code, message: describeError(error) },
      });
    },
  };
}
