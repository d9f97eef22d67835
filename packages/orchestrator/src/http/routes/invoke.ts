import { CaresError, type ExecutionResult } from "@cares/shared";
import { getRouterParam, type H3, type H3Event } from "h3";
import type { Invocation, Invoker } from "../../invoke/invoker.js";
import { readBodyLimited } from "../body.js";
import { outputAsText } from "../output-text.js";
import { errorResponse } from "../errors.js";

/** How much of a failed function's standard error goes into the error body. */
const STDERR_TAIL_BYTES = 4096;

/** The methods a function can be called with; each reaches it as HTTP_METHOD. */
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

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
        `function '${spec.name}' exited with code ${result.exitCode}` +
          (result.errorMessage ? ` (${result.errorMessage})` : ""),
        { details: { ...details, stderr: tail(result.stderr, STDERR_TAIL_BYTES) } },
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
        { details: { image: spec.image } },
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
  const headers: Record<string, string> = {
    "x-cares-invocation-id": invocation.id,
    "x-cares-node": invocation.node.name,
    "x-cares-duration-ms": String(result.durationMs),
    "x-cares-exit-code": String(result.exitCode),
  };
  if (result.outputTruncated) headers["x-cares-output-truncated"] = "true";
  return headers;
}

/** True when the caller asks for the JSON envelope rather than the raw output. */
function wantsEnvelope(event: H3Event): boolean {
  const accept = event.req.headers.get("accept") ?? "";
  return accept.split(",").some((range) => {
    const [type, ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    if (type !== "application/json") return false;
    const q = params.find((param) => param.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** The JSON envelope: the output and everything known about the call. */
function envelopeOf(invocation: Invocation) {
  const { result } = invocation;
  const { output, outputEncoding } = outputAsText(result.stdout);
  return {
    invocationId: invocation.id,
    function: invocation.function.name,
    node: invocation.node.name,
    outcome: result.outcome,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    output,
    outputEncoding,
    outputTruncated: result.outputTruncated,
    stderr: tail(result.stderr, STDERR_TAIL_BYTES),
  };
}

/** The variables that tell a function about the request that called it. */
export function requestEnv(event: H3Event, subpath: string): Record<string, string> {
  const url = new URL(event.req.url);
  return {
    HTTP_METHOD: event.req.method,
    HTTP_PATH: subpath,
    HTTP_QUERY: url.search.replace(/^\?/, ""),
    HTTP_CONTENT_TYPE: event.req.headers.get("content-type") ?? "",
  };
}

/**
 * `/invoke/:name` and `/invoke/:name/any/path`, with any of the usual methods: the body
 * is the function's standard input, its standard output the answer.
 */
export function addInvokeRoutes(app: H3, invoker: Invoker, maxBodyBytes: number): void {
  const handler = async (event: H3Event) => {
    // h3 serves HEAD with the GET route; a HEAD must not run the function.
    if (event.req.method === "HEAD") {
      throw new CaresError("method_not_allowed", "HEAD does not call a function; use GET or POST", {
        details: { allowed: [...METHODS] },
      });
    }
    const name = getRouterParam(event, "name") ?? "";
    const path = new URL(event.req.url).pathname;
    const subpath = path.slice(`/invoke/${name}`.length) || "/";
    const stdin = await readBodyLimited(event.req, maxBodyBytes);
    const invocation = await invoker.invoke(name, {
      stdin,
      env: requestEnv(event, subpath),
      signal: event.req.signal,
    });
    const { result } = invocation;
    const headers = headersOf(invocation, result);
    const ran = result.outcome === "succeeded" || result.outcome === "failed";

    if (ran && wantsEnvelope(event)) {
      const status = result.outcome === "succeeded" ? 200 : 500;
      const body =
        status === 200
          ? envelopeOf(invocation)
          : {
              error: "function_failed",
              message: failureOf(invocation).message,
              ...envelopeOf(invocation),
            };
      return Response.json(body, { status, headers });
    }
    if (result.outcome !== "succeeded") return errorResponse(failureOf(invocation), headers);
    return new Response(new Uint8Array(result.stdout), {
      status: 200,
      headers: { ...headers, "content-type": invocation.function.contentType },
    });
  };
  for (const method of METHODS) {
    app.on(method, "/invoke/:name", handler);
    app.on(method, "/invoke/:name/**", handler);
  }
}
