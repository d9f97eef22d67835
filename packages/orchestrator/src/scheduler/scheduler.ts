import { CaresError } from "@cares/shared";
import type { NodeRecord } from "../registry/node-registry.js";

/** Weights of the cost model; a node's cost is a weighted sum of its usages. */
export const CPU_WEIGHT = 0.5;
export const MEMORY_WEIGHT = 0.5;

/** Anything that lists nodes: the NodeRegistry, or a plain array holder in tests. */
export interface NodeSource {
  list(): readonly NodeRecord[];
}

export interface Candidate {
  node: NodeRecord;
  cost: number;
}

/** The scheduler's choice, with every candidate it weighed. */
export interface Selection {
  node: NodeRecord;
  cost: number;
  candidates: Candidate[];
}

/** Thrown when there is no Active node to run a call on. */
export class NoActiveNodeError extends CaresError {
  constructor(readonly totalNodes: number) {
    super(
      "no_active_node",
      totalNodes === 0
        ? "no worker has registered; start a worker and try again"
        : `none of the ${totalNodes} registered workers is active; try again when one is`,
      { details: { nodes: totalNodes } },
    );
  }
}

/** The cost of running on `node`: `cpu_usage * 0.5 + memory_usage * 0.5`. Lower is better. */
export function nodeCost(node: Pick<NodeRecord, "cpuUsage" | "memoryUsage">): number {
  return node.cpuUsage * CPU_WEIGHT + node.memoryUsage * MEMORY_WEIGHT;
}

/** Ties go to the node running fewer calls, then to the name that sorts first. */
function compare(a: Candidate, b: Candidate): number {
  return (
    a.cost - b.cost ||
    a.node.runningExecutions - b.node.runningExecutions ||
    a.node.name.localeCompare(b.node.name)
  );
}

/**
 * Picks the node to run the next call: the Active node of lowest cost. Pure: it reads
 * the registry and changes nothing. Throws NoActiveNodeError when no node is Active.
 */
export function selectNodeForExecution(registry: NodeSource): Selection {
  const nodes = registry.list();
  const candidates = nodes
    .filter((node) => node.status === "Active")
    .map((node) => ({ node, cost: nodeCost(node) }))
    .sort(compare);
  const best = candidates[0];
  if (!best) throw new NoActiveNodeError(nodes.length);
  return { node: best.node, cost: best.cost, candidates };
}
