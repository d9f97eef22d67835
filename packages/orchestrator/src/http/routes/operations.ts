import type { H3 } from "h3";
import type { OrchestratorMetrics } from "../../metrics/orchestrator-metrics.js";

/** What `/readyz` checks. */
export interface Readiness {
  /** The database answers. */
  database: boolean;
  /** Nodes that are Active now. */
  activeNodes: number;
}

/**
 * `GET /readyz`: 200 when the orchestrator can take calls (its database answers and at
 * least one node is Active), else 503 saying what is missing.
 */
export function addReadinessRoute(app: H3, readiness: () => Readiness): void {
  app.get("/readyz", () => {
    const state = readiness();
    const missing: string[] = [];
    if (!state.database) missing.push("the database does not answer");
    if (state.activeNodes === 0) missing.push("no node is Active");
    const checks = {
      database: state.database ? "ok" : "failed",
      activeNodes: state.activeNodes,
    };
    if (missing.length === 0) return { status: "ready", checks };
    return Response.json(
      { error: "not_ready", message: `not ready: ${missing.join("; ")}`, checks },
      { status: 503 },
    );
  });
}

/** `GET /metrics` in the Prometheus text format. */
export function addMetricsRoute(app: H3, metrics: OrchestratorMetrics): void {
  app.get("/metrics", async () => {
    const { body, contentType } = await metrics.render();
    return new Response(body, { headers: { "content-type": contentType } });
  });
}
