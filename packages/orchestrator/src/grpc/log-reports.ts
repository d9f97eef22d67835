import type { ClusterHandlers } from "@cares/shared";
import type { ClusterEvents } from "../events/cluster-events.js";
import type { NodeRegistry } from "../registry/node-registry.js";

/** Lines one report may carry; more are dropped, oldest first. */
const MAX_LINES_PER_REPORT = 1_000;

/** The orchestrator's side of ReportLogs: a worker's lines join the cluster's story. */
export function logReportHandlers(
  nodes: NodeRegistry,
  events: ClusterEvents,
): Pick<ClusterHandlers, "reportLogs"> {
  return {
    async reportLogs({ nodeId, lines }) {
      const node = nodes.get(nodeId);
      if (!node) return { known: false };
      events.addRemoteLines(node.name, lines.slice(-MAX_LINES_PER_REPORT));
      return { known: true };
    },
  };
}
