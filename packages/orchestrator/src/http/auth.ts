import type { IncomingHttpHeaders } from "node:http";
import { CaresError, secretsEqual } from "@cares/shared";
import type { H3 } from "h3";
import { errorResponse } from "./errors.js";

/** Paths anyone may read, so that probes need no secret: they tell nothing but health. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz"]);

/** Anything with request headers: a fetch Request, or Node's IncomingMessage. */
export interface WithHeaders {
  headers: Headers | IncomingHttpHeaders;
}

/**
 * Throws `unauthorized` unless the request carries `Authorization: Bearer <token>`.
 * Does nothing when no token is configured. The HTTP routes and the WebSocket upgrade
 * both call it.
 */
export type BearerCheck = (request: WithHeaders) => void;

function authorizationOf(request: WithHeaders): string | undefined {
  const { headers } = request;
  if (typeof (headers as Headers).get === "function") {
    return (headers as Headers).get("authorization") ?? undefined;
  }
  const value = (headers as IncomingHttpHeaders).authorization;
  return Array.isArray(value) ? value[0] : value;
}

/** The BearerCheck for `token`; with no token (empty or undefined) every request passes. */
export function bearerCheck(token: string | undefined): BearerCheck {
  if (!token) return () => {};
  return (request) => {
    const header = authorizationOf(request);
    const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    // The comparison runs even without a header, so that both refusals take as long.
    const ok = secretsEqual(match?.[1] ?? "", token) && match !== null;
    if (ok) return;
    throw new CaresError(
      "unauthorized",
      header === undefined
        ? "this API needs 'Authorization: Bearer <token>' (the CARES_API_TOKEN)"
        : "the bearer token is not valid",
    );
  };
}

/** Refuses with 401 every request but those to OPEN_PATHS that fails `check`. */
export function requireBearer(app: H3, check: BearerCheck): void {
  app.use((event) => {
    if (OPEN_PATHS.has(event.url.pathname)) return;
    try {
      check(event.req);
    } catch (error) {
      if (!(error instanceof CaresError)) throw error;
      return errorResponse(error, { "www-authenticate": 'Bearer realm="cares"' });
    }
  });
}
