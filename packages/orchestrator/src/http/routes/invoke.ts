import { CaresError, type ExecutionResult } from "@cares/shared";
import { getRouterParam, type H3 } from "h3";
import type { Invocation, Invoker } from "../../invoke/invoker.js";
import { readBodyLimited } from "../body.js";
import { errorResponse } from "../errors.js";

/** How much of a failed function's standard error goes into the error body. */
const STDERR_TAIL_BYTES = 4096;

function tail(text: string, bytes: number): string {
  const buffer = Buffer.from(text, "utf8");
  if (buffer.length <= bytes) return text;
  // Cutting may split a character; the decoder replaces the broken start with U+FFFD.
  return buffer.subarray(buffer.length - bytes).toString("utf8");
}

function failureOf(invocation: Invocation): CaresError {
  const { result, function: spec } = invocation;
  const details = { exitCode: result.exitCode, durationMs: result.durationMs };
  switch (result.outcome) {
    case "failed":
      return new CaresError(
        "function_failed",
        `function '${spec.name}' exited with code ${result.exitCode}`,
        {
          details: { ...details, stderr: tail(result.stderr, STDERR_TAIL_BYTES) },
        },
      );
    case "timed-out":
      return new CaresError(
        "function_timeout",
        `function '${spec.name}' ran past its timeout of ${spec.timeoutMs / 1000}s and was stopped`,
        { details: { ...details, stderr: tail(result.stderr, STDERR_TAIL_BYTES) } },
      );
    case "image-unavailable":
      return new CaresError(
        "image_unavailable",
        result.errorMessage || `image '${spec.image}' is not available on the worker`,
        {
          details: { image: spec.image },
        },
      );
    case "cancelled":
      return new CaresError("cancelled", result.errorMessage || "the call was cancelled");
    default:
      return new CaresError(
        "engine_error",
        result.errorMessage || `the worker could not run '${spec.image}'`,
        { details: { image: spec.image } },
      );
  }
}

function headersOf(invocation: Invocation, result: ExecutionResult): Record<string, string> {
  return {
    "x-cares-invocation-id": invocation.id,
    "x-cares-node": invocation.node.name,
    "x-cares-duration-ms": String(result.durationMs),
    "x-cares-exit-code": String(result.exitCode),
  };
}

/** `POST /invoke/:name`: the body is the function's standard input, its output the answer. */
export function addInvokeRoutes(app: H3, invoker: Invoker, maxBodyBytes: number): void {
  app.post("/invoke/:name", async (event) => {
    const name = getRouterParam(event, "name") ?? "";
    const stdin = await readBodyLimited(event.req, maxBodyBytes);
    const invocation = await invoker.invoke(name, { stdin, signal: event.req.signal });
    const { result } = invocation;
    const headers = headersOf(invocation, result);
    if (result.outcome !== "succeeded") return errorResponse(failureOf(invocation), headers);
    return new Response(new Uint8Array(result.stdout), {
      status: 200,
      headers: { ...headers, "content-type": "text/plain; charset=utf-8" },
    });
  });
}
