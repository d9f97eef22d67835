import { CaresError } from "@cares/shared";
import type { NodeRecord } from "../registry/node-registry.js";
import { leastCost, type SchedulingStrategy } from "./strategies.js";

/** Weights of the cost model; a node's cost is a weighted sum of its usages. */
export const CPU_WEIGHT = 0.5;
export const MEMORY_WEIGHT = 0.5;

/**
 * Usage readings are up to a heartbeat old and move by a point or two on an idle
 * machine; costs closer than this are treated as equal, so that the tie-breaks (calls
 * in flight, then the node that waited longest) spread calls over near-equal nodes.
 */
export const COST_RESOLUTION = 2;

/** Anything that lists nodes: the NodeRegistry, or a plain array holder in tests. */
export interface NodeSource {
  list(): readonly NodeRecord[];
}

export interface Candidate {
  node: NodeRecord;
  /** The node's cost with the calls in flight to it weighed in. */
  cost: number;
}

/** The scheduler's choice, with every candidate it weighed. */
export interface Selection {
  node: NodeRecord;
  cost: number;
  /** Every node that could take the call, cheapest first. */
  candidates: Candidate[];
}

/** What the call asks of a node. */
export interface SchedulingRequest {
  /** The function being called, for its per-node concurrency. */
  functionName?: string;
  /** Calls of the function one node may run at once; null or absent for no limit. */
  concurrency?: number | null;
  /** Nodes not to choose (one that just failed the call). */
  exclude?: ReadonlySet<string>;
}

/** Thrown when there is no Active node to run a call on. */
export class NoActiveNodeError extends CaresError {
  constructor(
    readonly totalNodes: number,
    /** Why each node is out, as `name: reason`. */
    reasons: string[] = [],
  ) {
    super(
      "no_active_node",
      totalNodes === 0
        ? "no worker has registered; start a worker and try again"
        : `none of the ${totalNodes} registered workers can take calls now` +
            (reasons.length > 0 ? ` (${reasons.join("; ")})` : "") +
            "; try again when one is active",
      { details: { nodes: totalNodes } },
    );
  }
}

/** Thrown when every Active node is running as many calls as it takes. */
export class ClusterAtCapacityError extends CaresError {
  constructor(activeNodes: number, functionName?: string) {
    super(
      "cluster_at_capacity",
      functionName
        ? `all ${activeNodes} active workers run as many calls as they take, or as many of ` +
            `'${functionName}' as it allows; retry shortly`
        : `all ${activeNodes} active workers run as many calls as they take; retry shortly`,
      { details: { activeNodes } },
    );
  }
}

/** The cost of running on `node`: `cpu_usage * 0.5 + memory_usage * 0.5`. Lower is better. */
export function nodeCost(node: Pick<NodeRecord, "cpuUsage" | "memoryUsage">): number {
  return node.cpuUsage * CPU_WEIGHT + node.memoryUsage * MEMORY_WEIGHT;
}

/**
 * The cost the scheduler compares: nodeCost plus the calls this orchestrator has sent the
 * node and not yet had back, each weighing a share of the node's capacity (a node full
 * of calls in flight costs 100 more), so that a burst between two heartbeats spreads
 * instead of piling onto the node that looked idlest.
 */
export function loadCost(node: NodeRecord): number {
  const slots = node.capacity.maxConcurrency || 1;
  return nodeCost(node) + (node.inFlight * 100) / slots;
}

/**
 * Orders candidates: cost (to COST_RESOLUTION), then fewer calls in flight, then fewer
 * running as last reported, then the node that waited longest, then the name.
 */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return (
    Math.floor(a.cost / COST_RESOLUTION) - Math.floor(b.cost / COST_RESOLUTION) ||
    a.node.inFlight - b.node.inFlight ||
    a.node.runningExecutions - b.node.runningExecutions ||
    a.node.lastDispatchAt - b.node.lastDispatchAt ||
    a.cost - b.cost ||
    a.node.name.localeCompare(b.node.name)
  );
}

function hasRoom(node: NodeRecord, request: SchedulingRequest): boolean {
  const slots = node.capacity.maxConcurrency;
  if (slots > 0 && node.inFlight >= slots) return false;
  if (request.concurrency && request.functionName) {
    return (node.inFlightByFunction.get(request.functionName) ?? 0) < request.concurrency;
  }
  return true;
}

/**
 * Picks the node to run the next call on among the Active ones that have room, with
 * `strategy` (least cost by default). Pure: it reads the registry and changes nothing.
 * Throws NoActiveNodeError when no node is Active, ClusterAtCapacityError when every
 * Active node is full.
 */
export function selectNodeForExecution(
  registry: NodeSource,
  request: SchedulingRequest = {},
  strategy: SchedulingStrategy = leastCost,
): Selection {
  const nodes = registry.list();
  const active = nodes.filter((node) => node.status === "Active" && !request.exclude?.has(node.id));
  if (active.length === 0) {
    const reasons = nodes
      .filter((node) => node.status !== "Active" && node.statusReason)
      .slice(0, 5)
      .map((node) => `${node.name}: ${node.statusReason}`);
    throw new NoActiveNodeError(nodes.length, reasons);
  }
  const candidates = active
    .filter((node) => hasRoom(node, request))
    .map((node) => ({ node, cost: loadCost(node) }))
    .sort(compareCandidates);
  if (candidates.length === 0)
    throw new ClusterAtCapacityError(active.length, request.functionName);
  const chosen = strategy.pick(candidates);
  return { node: chosen.node, cost: chosen.cost, candidates };
}
