import { CaresError, checkName, type ClusterHandlers, type Logger } from "@cares/shared";
import type { WorkerClients } from "../dispatch/worker-clients.js";
import type { NodeRegistry } from "../registry/node-registry.js";

/** The orchestrator's side of the ClusterService: workers register and report load. */
export function clusterHandlers(
  nodes: NodeRegistry,
  clients: WorkerClients,
  log: Logger,
): Pick<ClusterHandlers, "registerNode" | "heartbeat" | "leaveCluster"> {
  return {
    async registerNode(registration) {
      const problem = checkName(registration.name);
      if (problem) {
        throw new CaresError("invalid_argument", `node name '${registration.name}' ${problem}`);
      }
      if (!/^[^\s/]+:\d{1,5}$/.test(registration.address)) {
        throw new CaresError(
          "invalid_argument",
          `node address '${registration.address}' must be host:port`,
        );
      }
      const previous = nodes.findByName(registration.name);
      const node = nodes.register(registration);
      if (previous && previous.address !== node.address) clients.drop(previous.address);
      // A worker registering is a new process: a channel kept from an earlier one at
      // this address may sit in reconnect backoff and fail the next call.
      clients.drop(node.address);
      return { nodeId: node.id, heartbeatIntervalMs: node.heartbeatIntervalMs };
    },

    async leaveCluster(nodeId) {
      const node = nodes.get(nodeId);
      if (nodes.leave(nodeId) && node) clients.drop(node.address);
    },

    async heartbeat(load) {
      const known = nodes.heartbeat(load);
      if (!known) log.debug("Heartbeat from unknown node {nodeId}.", { nodeId: load.nodeId });
      return { known };
    },
  };
}
