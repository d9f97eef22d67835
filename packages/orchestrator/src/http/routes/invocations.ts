import { CaresError, checkName } from "@cares/shared";
import { getRouterParam, type H3 } from "h3";
import { outputAsText } from "../output-text.js";
import type {
  InvocationHistory,
  InvocationOutput,
  InvocationRecord,
} from "../../history/invocation-history.js";

/** Entries a listing gives when it does not say. */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

/** The JSON form of a call in the history. */
export function describeInvocation(record: InvocationRecord) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    id: record.id,
    function: record.function,
    node: record.node,
    status: record.status,
    async: record.async,
    exitCode: record.exitCode,
    durationMs: record.durationMs,
    requestBytes: record.requestBytes,
    responseBytes: record.responseBytes,
    error: record.error,
    createdAt: iso(record.createdAt),
    startedAt: iso(record.startedAt),
    finishedAt: iso(record.finishedAt),
  };
}

/** The result of an ended asynchronous call: its output (base64 when not text). */
function describeOutput(output: InvocationOutput) {
  return {
    ...outputAsText(output.stdout),
    outputTruncated: output.outputTruncated,
    stderr: output.stderr,
  };
}

function parseLimit(raw: string | null): number {
  if (raw === null) return DEFAULT_LIMIT;
  const limit = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new CaresError("invalid_request", `limit must be from 1 to ${MAX_LIMIT}`, {
      details: { field: "limit" },
    });
  }
  return limit;
}

/** `GET /invocations?function=NAME&limit=N` and `GET /invocations/:id`. */
export function addInvocationRoutes(app: H3, history: InvocationHistory): void {
  app.get("/invocations", (event) => {
    const query = event.url.searchParams;
    const name = query.get("function") ?? undefined;
    const problem = name === undefined ? undefined : checkName(name);
    if (problem) {
      throw new CaresError("invalid_request", `function ${problem}`, {
        details: { field: "function" },
      });
    }
    const limit = parseLimit(query.get("limit"));
    return {
      invocations: history.list({ function: name, limit }).map(describeInvocation),
    };
  });

  app.get("/invocations/:id", (event) => {
    const id = getRouterParam(event, "id") ?? "";
    const record = history.get(id);
    if (!record) {
      throw new CaresError("invocation_not_found", `no invocation '${id}' in the history`, {
        details: { invocation: id },
      });
    }
    const output = record.async ? history.output(id) : undefined;
    const body = {
      ...describeInvocation(record),
      ...(output ? { result: describeOutput(output) } : {}),
    };
    const open = record.status === "queued" || record.status === "running";
    return Response.json(body, { headers: open ? { "retry-after": "1" } : {} });
  });
}
