import { startHttpServer, type RunningHttpServer } from "@cares/shared";
import type { WorkerMetrics } from "./worker-metrics.js";

/**
 * Serves `GET /metrics` (Prometheus text) and `GET /healthz` on a port of the worker's
 * own; everything else is 404.
 */
export function startMetricsServer(
  metrics: WorkerMetrics,
  host: string,
  port: number,
): Promise<RunningHttpServer> {
  return startHttpServer(
    (request, response) => {
      const path = (request.url ?? "/").split("?")[0];
      if (request.method !== "GET" && request.method !== "HEAD") {
        response.writeHead(405, { allow: "GET, HEAD" }).end();
      } else if (path === "/metrics") {
        metrics.registry.metrics().then(
          (text) =>
            response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
          () => response.writeHead(500).end(),
        );
      } else if (path === "/healthz") {
        response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      } else {
        response.writeHead(404).end();
      }
    },
    host,
    port,
    "metrics",
  );
}
