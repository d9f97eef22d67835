import type { H3, H3Event } from "h3";
import type { AsyncInvocations } from "../async/async-invocations.js";
import { readBodyLimited } from "./body.js";
import { requestEnv } from "./routes/invoke.js";

/** True when the caller asks not to wait: `Prefer: respond-async` or `?async=true`. */
export function wantsAsync(event: H3Event): boolean {
  if (event.url.searchParams.get("async") === "true") return true;
  const prefer = event.req.headers.get("prefer") ?? "";
  return prefer.split(/[,;]/).some((token) => token.trim().toLowerCase() === "respond-async");
}

/**
 * Calls of `/invoke/:name` that ask not to wait are accepted here: the answer is 202
 * with the invocation id and a `Location` to poll, and the call runs later. Every
 * other call goes on to the invoke routes.
 */
export function acceptAsyncCalls(app: H3, calls: AsyncInvocations, maxBodyBytes: number): void {
  app.use("/invoke/**", async (event) => {
    if (!wantsAsync(event)) return;
    const path = event.url.pathname;
    const name = path.split("/")[2] ?? "";
    const subpath = path.slice(`/invoke/${name}`.length) || "/";
    const stdin = await readBodyLimited(event.req, maxBodyBytes);
    const env = requestEnv(event, subpath);
    // `async` is CARES's own parameter, not the function's.
    const query = new URLSearchParams(event.url.search);
    query.delete("async");
    env.HTTP_QUERY = query.toString();

    const id = calls.accept(name, stdin, env);
    const location = `/invocations/${id}`;
    const headers: Record<string, string> = { location, "x-cares-invocation-id": id };
    if (event.req.headers.has("prefer")) headers["preference-applied"] = "respond-async";
    return Response.json(
      { invocationId: id, status: "queued", location },
      { status: 202, headers },
    );
  });
}
