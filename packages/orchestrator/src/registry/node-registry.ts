import { randomUUID } from "node:crypto";
import {
  CaresError,
  type Logger,
  type NodeCapacity,
  type NodeLoad,
  type NodeRegistration,
} from "@cares/shared";

/**
 * `Active` nodes take calls; `Draining` ones finish what they run before they leave;
 * `Inactive` ones missed their heartbeats or could not be reached.
 */
export type NodeStatus = "Active" | "Draining" | "Inactive";

/** What the orchestrator knows of one worker. */
export interface NodeRecord {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly capacity: NodeCapacity;
  readonly executor: string;
  /** How often this node sends heartbeats. */
  readonly heartbeatIntervalMs: number;
  status: NodeStatus;
  /** Percent, 0 to 100, from the last heartbeat. */
  cpuUsage: number;
  /** Percent, 0 to 100, from the last heartbeat. */
  memoryUsage: number;
  runningExecutions: number;
  readonly registeredAt: number;
  lastHeartbeatAt: number;
  /** Calls this orchestrator sent to the node that have not come back yet. */
  inFlight: number;
  /** The same, by function name. */
  readonly inFlightByFunction: Map<string, number>;
  /** When this orchestrator last sent the node a call; 0 for never. */
  lastDispatchAt: number;
  /** When the node last changed status. */
  statusSince: number;
  /** Why the node is not Active ("" when it is). */
  statusReason: string;
}

/** The heartbeat intervals the orchestrator accepts; a worker asking outside gets the nearest. */
export const MIN_HEARTBEAT_INTERVAL_MS = 100;
export const MAX_HEARTBEAT_INTERVAL_MS = 60_000;
/** The interval given to a worker that does not say. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
/** A node Inactive this long (it crashed and never came back) is dropped from the list. */
export const DEFAULT_FORGET_AFTER_MS = 10 * 60_000;

export interface NodeRegistryOptions {
  /** Heartbeats a node may miss before it turns Inactive. */
  missedHeartbeats?: number;
  /** How long a node stays listed while Inactive before it is forgotten. */
  forgetAfterMs?: number;
  log: Logger;
  now?: () => number;
}

/**
 * Every worker that has registered, with its status and its last reported load.
 *
 * Limitation: nodes live in memory only; after an orchestrator restart the list is empty
 * until the workers' next heartbeats, which make them register again.
 */
export class NodeRegistry {
  readonly #missedHeartbeats: number;
  readonly #forgetAfterMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #nodes = new Map<string, NodeRecord>();
  readonly #listeners = new Set<(node: NodeRecord, removed: boolean) => void>();

  constructor(options: NodeRegistryOptions) {
    this.#missedHeartbeats = options.missedHeartbeats ?? 3;
    this.#forgetAfterMs = options.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Adds a worker, Active at once. A worker that registers again under its name and
   * address (it restarted, or the orchestrator forgot it) replaces its old entry; a name
   * held by an Active node at another address is refused with `node_name_taken`.
   */
  register(registration: NodeRegistration): NodeRecord {
    const previous = this.findByName(registration.name);
    if (previous) {
      if (previous.status === "Active" && previous.address !== registration.address) {
        throw new CaresError(
          "node_name_taken",
          `an active node named '${registration.name}' already serves at ${previous.address}; ` +
            "give this worker another --name",
          { details: { node: registration.name } },
        );
      }
      this.#remove(previous);
    }
    const now = this.#now();
    const node: NodeRecord = {
      id: randomUUID(),
      name: registration.name,
      address: registration.address,
      capacity: { ...registration.capacity },
      executor: registration.executor,
      heartbeatIntervalMs: acceptedInterval(registration.heartbeatIntervalMs),
      status: "Active",
      cpuUsage: 0,
      memoryUsage: 0,
      runningExecutions: 0,
      registeredAt: now,
      lastHeartbeatAt: now,
      inFlight: 0,
      inFlightByFunction: new Map(),
      lastDispatchAt: 0,
      statusSince: now,
      statusReason: "",
    };
    this.#nodes.set(node.id, node);
    this.#log.info("Node '{node}' registered at {address}.", {
      node: node.name,
      address: node.address,
      nodeId: node.id,
      executor: node.executor,
    });
    this.#emit(node, false);
    return node;
  }

  /**
   * Records a load report. Returns false when no node has that id, so that the worker
   * registers again.
   */
  heartbeat(load: NodeLoad): boolean {
    const node = this.#nodes.get(load.nodeId);
    if (!node) return false;
    node.cpuUsage = clampPercent(load.cpuUsage);
    node.memoryUsage = clampPercent(load.memoryUsage);
    node.runningExecutions = Math.max(0, Math.trunc(load.runningExecutions) || 0);
    node.lastHeartbeatAt = this.#now();
    if (load.draining) {
      if (node.status !== "Draining") this.#setStatus(node, "Draining", "it is shutting down");
    } else if (load.unhealthyReason) {
      if (node.status !== "Inactive" || node.statusReason !== load.unhealthyReason) {
        this.#setStatus(node, "Inactive", load.unhealthyReason);
      }
    } else if (node.status !== "Active") {
      this.#setStatus(node, "Active", "heartbeat received");
    }
    this.#emit(node, false);
    return true;
  }

  /** Forgets a node that says it leaves. Returns false when no node has that id. */
  leave(id: string): boolean {
    const node = this.#nodes.get(id);
    if (!node) return false;
    this.#remove(node);
    this.#log.info("Node '{node}' left the cluster.", { node: node.name });
    return true;
  }

  /** Counts a call sent to `node`, until release() says it came back. */
  reserve(node: NodeRecord, functionName: string): void {
    node.inFlight++;
    node.inFlightByFunction.set(functionName, (node.inFlightByFunction.get(functionName) ?? 0) + 1);
    node.lastDispatchAt = this.#now();
  }

  /** Ends the count reserve() began. */
  release(node: NodeRecord, functionName: string): void {
    node.inFlight = Math.max(0, node.inFlight - 1);
    const left = (node.inFlightByFunction.get(functionName) ?? 1) - 1;
    if (left > 0) node.inFlightByFunction.set(functionName, left);
    else node.inFlightByFunction.delete(functionName);
  }

  /** Marks a node Draining at once, e.g. when it refuses a call because it is leaving. */
  markDraining(id: string): void {
    const node = this.#nodes.get(id);
    if (node && node.status === "Active") this.#setStatus(node, "Draining", "it is shutting down");
  }

  /**
   * Turns Inactive every Active node that has missed too many of its heartbeats, and
   * forgets nodes that have been Inactive for longer than the forget-after time.
   */
  sweep(): void {
    const now = this.#now();
    for (const node of [...this.#nodes.values()]) {
      if (node.status === "Inactive" && now - node.statusSince > this.#forgetAfterMs) {
        this.#remove(node);
        this.#log.info("Node '{node}' forgotten after {minutes} minutes without a heartbeat.", {
          node: node.name,
          minutes: Math.round(this.#forgetAfterMs / 60_000),
        });
        continue;
      }
      const limit = node.heartbeatIntervalMs * this.#missedHeartbeats;
      if (node.status === "Active" && now - node.lastHeartbeatAt > limit) {
        this.#setStatus(node, "Inactive", `no heartbeat for ${this.#missedHeartbeats} intervals`);
      }
    }
  }

  /** Turns a node Inactive at once, e.g. when it cannot be reached. */
  markInactive(id: string, reason: string): void {
    const node = this.#nodes.get(id);
    if (node && node.status !== "Inactive") this.#setStatus(node, "Inactive", reason);
  }

  get(id: string): NodeRecord | undefined {
    return this.#nodes.get(id);
  }

  findByName(name: string): NodeRecord | undefined {
    for (const node of this.#nodes.values()) if (node.name === name) return node;
    return undefined;
  }

  /** Every node, sorted by name. */
  list(): NodeRecord[] {
    return [...this.#nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Calls `listener` on every change of a node; returns a function that stops it. */
  onChange(listener: (node: NodeRecord, removed: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #remove(node: NodeRecord): void {
    this.#nodes.delete(node.id);
    this.#emit(node, true);
  }

  #setStatus(node: NodeRecord, status: NodeStatus, reason: string): void {
    const from = node.status;
    node.status = status;
    node.statusSince = this.#now();
    node.statusReason = status === "Active" ? "" : reason;
    const fields = { node: node.name, from, to: status, reason };
    if (status === "Active") this.#log.info("Node '{node}' is {to} again.", fields);
    else if (status === "Draining") this.#log.info("Node '{node}' is {to}: {reason}.", fields);
    else this.#log.warn("Node '{node}' is {to}: {reason}.", fields);
    this.#emit(node, false);
  }

  #emit(node: NodeRecord, removed: boolean): void {
    for (const listener of this.#listeners) listener(node, removed);
  }
}

function acceptedInterval(asked: number): number {
  if (!asked) return DEFAULT_HEARTBEAT_INTERVAL_MS;
  return Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.max(MIN_HEARTBEAT_INTERVAL_MS, asked));
}

function clampPercent(value: number): number {
  if (!Number.isFinite(value)) return 100;
  return Math.min(100, Math.max(0, value));
}
