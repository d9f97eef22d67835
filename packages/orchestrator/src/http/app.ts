import { H3 } from "h3";
import type { Invoker } from "../invoke/invoker.js";
import type { FunctionRegistry } from "../registry/function-registry.js";
import type { NodeRegistry } from "../registry/node-registry.js";
import type { Logger } from "@cares/shared";
import type { AsyncInvocations } from "../async/async-invocations.js";
import type { InvocationHistory } from "../history/invocation-history.js";
import type { OrchestratorMetrics } from "../metrics/orchestrator-metrics.js";
import { acceptAsyncCalls } from "./async-calls.js";
import { requireBearer, type BearerCheck } from "./auth.js";
import { errorResponse, toCaresError } from "./errors.js";
import { limitCallsInFlight } from "./limits.js";
import { addInvocationRoutes } from "./routes/invocations.js";
import { addMetricsRoute, addReadinessRoute, type Readiness } from "./routes/operations.js";
import { addFunctionRoutes } from "./routes/functions.js";
import { addInvokeRoutes } from "./routes/invoke.js";
import { addNodeRoutes } from "./routes/nodes.js";

export interface HttpAppOptions {
  functions: FunctionRegistry;
  nodes: NodeRegistry;
  invoker: Invoker;
  log: Logger;
  /** The largest invocation body accepted. */
  maxBodyBytes: number;
  /** Checks the API token on every request but the health checks; none when absent. */
  checkBearer?: BearerCheck;
  /** Calls of functions running at once, at most; past it they get 429. */
  maxInFlight?: number;
  /** Serves `/invocations` when given. */
  history?: InvocationHistory;
  /** Takes `Prefer: respond-async` and `?async=true` calls when given. */
  asyncCalls?: AsyncInvocations;
  /** Serves `/metrics` when given. */
  metrics?: OrchestratorMetrics;
  /** Serves `/readyz` when given. */
  readiness?: () => Readiness;
}

/** The middleware and routes for operators: auth, limits, history, health and metrics. */
function addOperatorRoutes(app: H3, options: HttpAppOptions): void {
  if (options.checkBearer) requireBearer(app, options.checkBearer);
  if (options.asyncCalls) acceptAsyncCalls(app, options.asyncCalls, options.maxBodyBytes);
  if (options.maxInFlight) limitCallsInFlight(app, options.maxInFlight);
  if (options.history) addInvocationRoutes(app, options.history);
  if (options.readiness) addReadinessRoute(app, options.readiness);
  if (options.metrics) addMetricsRoute(app, options.metrics);
}

/** A route such as `/invoke/:name/**` as a regular expression over paths. */
function routePattern(route: string): RegExp {
  const parts = route.split("/").map((part) => {
    if (part === "**") return ".*";
    if (part === "*" || part.startsWith(":")) return "[^/]+";
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
  return new RegExp(`^${parts.join("/")}$`);
}

/**
 * The methods a path is served with, to answer 405 rather than 404 on a known path.
 * h3 keeps its route table in `~routes`; it answers 404 for a known path with another
 * method, and has no look-up of its own for this.
 */
function allowedMethods(app: H3, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app["~routes"]) {
    if (!route.route || !route.method) continue;
    if (routePattern(route.route).test(path)) methods.add(route.method);
  }
  return [...methods].sort();
}

/** The orchestrator's HTTP API as an h3 app; serve it with `toNodeHandler` or `app.fetch`. */
export function createHttpApp(options: HttpAppOptions): H3 {
  const app: H3 = new H3({
    // h3 would print every thrown error to the console; onError logs what matters.
    silent: true,
    onError(error, event) {
      const url = new URL(event.req.url);
      const allowed = allowedMethods(app, url.pathname);
      const failure = toCaresError(error, event.req.method, url.pathname, allowed);
      if (failure.code === "internal_error") {
        options.log.error("Request failed: {error}", {
          error: failure.message,
          method: event.req.method,
          path: url.pathname,
        });
      }
      const headers: Record<string, string> =
        failure.code === "method_not_allowed" ? { allow: allowed.join(", ") } : {};
      return errorResponse(failure, headers);
    },
  });

  app.get("/healthz", () => ({ status: "ok" }));
  addOperatorRoutes(app, options);
  addFunctionRoutes(app, options.functions);
  addNodeRoutes(app, options.nodes);
  addInvokeRoutes(app, options.invoker, options.maxBodyBytes);
  return app;
}
