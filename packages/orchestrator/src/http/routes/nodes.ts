import type { H3 } from "h3";
import type { NodeRecord, NodeRegistry } from "../../registry/node-registry.js";
import { nodeCost } from "../../scheduler/scheduler.js";

/** The JSON form of a node, as the API shows it. */
export function describeNode(node: NodeRecord, now = Date.now()) {
  return {
    id: node.id,
    name: node.name,
    address: node.address,
    status: node.status,
    statusReason: node.statusReason,
    cpuUsage: node.cpuUsage,
    memoryUsage: node.memoryUsage,
    cost: nodeCost(node),
    runningExecutions: node.runningExecutions,
    capacity: node.capacity,
    executor: node.executor,
    registeredAt: new Date(node.registeredAt).toISOString(),
    lastHeartbeatAt: new Date(node.lastHeartbeatAt).toISOString(),
    secondsSinceHeartbeat: Math.max(0, (now - node.lastHeartbeatAt) / 1000),
  };
}

/** `GET /nodes`. */
export function addNodeRoutes(app: H3, nodes: NodeRegistry): void {
  app.get("/nodes", () => ({ nodes: nodes.list().map((node) => describeNode(node)) }));
}
