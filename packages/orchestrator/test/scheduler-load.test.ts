import { CaresError } from "@cares/shared";
import { describe, expect, it } from "vitest";
import type { NodeRecord, NodeStatus } from "../src/registry/node-registry.js";
import {
  ClusterAtCapacityError,
  COST_RESOLUTION,
  loadCost,
  NoActiveNodeError,
  nodeCost,
  selectNodeForExecution,
  type NodeSource,
} from "../src/scheduler/scheduler.js";
import type { SchedulingStrategy } from "../src/scheduler/strategies.js";
import { nodeRecord } from "./support/node-records.js";

interface NodeOptions {
  cpu?: number;
  memory?: number;
  status?: NodeStatus;
  running?: number;
  inFlight?: number;
  byFunction?: Record<string, number>;
  maxConcurrency?: number;
  lastDispatchAt?: number;
}

function node(name: string, options: NodeOptions = {}): NodeRecord {
  return nodeRecord(name, {
    capacity: { cpus: 4, memoryBytes: 1024, maxConcurrency: options.maxConcurrency ?? 0 },
    status: options.status ?? "Active",
    cpuUsage: options.cpu ?? 0,
    memoryUsage: options.memory ?? 0,
    runningExecutions: options.running ?? 0,
    inFlight: options.inFlight ?? 0,
    inFlightByFunction: new Map(Object.entries(options.byFunction ?? {})),
    lastDispatchAt: options.lastDispatchAt ?? 0,
  });
}

function source(...nodes: NodeRecord[]): NodeSource {
  return { list: () => nodes };
}

function names(nodes: NodeSource, request = {}): string[] {
  return selectNodeForExecution(nodes, request).candidates.map((c) => c.node.name);
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

/** With this many slots, one call in flight adds 0.1 to the cost: far below COST_RESOLUTION. */
const WIDE = 1_000;

describe("loadCost", () => {
  it("is nodeCost when nothing is in flight", () => {
    const idle = node("a", { cpu: 20, memory: 40, maxConcurrency: 4 });
    expect(loadCost(idle)).toBe(nodeCost(idle));
    expect(loadCost(idle)).toBe(30);
  });

  it("adds each call in flight as its share of 100 over the node's slots", () => {
    expect(loadCost(node("a", { cpu: 20, memory: 40, maxConcurrency: 4, inFlight: 1 }))).toBe(55);
    expect(loadCost(node("a", { cpu: 20, memory: 40, maxConcurrency: 4, inFlight: 4 }))).toBe(130);
    expect(loadCost(node("a", { maxConcurrency: 8, inFlight: 2 }))).toBe(25);
  });

  it("treats a maxConcurrency of 0 (no limit) as one slot", () => {
    expect(loadCost(node("a", { cpu: 10, memory: 10, maxConcurrency: 0, inFlight: 1 }))).toBe(110);
    expect(loadCost(node("a", { maxConcurrency: 0, inFlight: 3 }))).toBe(300);
  });

  it("is the cost the selection reports", () => {
    const selection = selectNodeForExecution(
      source(node("a", { cpu: 20, memory: 40, maxConcurrency: 4, inFlight: 1 })),
    );
    expect(selection.cost).toBe(55);
    expect(selection.candidates[0]!.cost).toBe(55);
  });

  it("spreads a burst: calls in flight make the idlest node dearer than the next", () => {
    const selection = selectNodeForExecution(
      source(
        node("idlest", { cpu: 0, memory: 0, maxConcurrency: 2, inFlight: 1 }),
        node("next", { cpu: 20, memory: 20, maxConcurrency: 2 }),
      ),
    );
    expect(selection.node.name).toBe("next");
  });
});

describe("selectNodeForExecution with capacity", () => {
  it("skips a node whose calls in flight fill its slots", () => {
    const nodes = source(
      node("full", { maxConcurrency: 2, inFlight: 2 }),
      node("room", { cpu: 90, memory: 90, maxConcurrency: 2, inFlight: 1 }),
    );
    const selection = selectNodeForExecution(nodes);
    expect(selection.node.name).toBe("room");
    expect(selection.candidates.map((c) => c.node.name)).toEqual(["room"]);
  });

  it("skips a node with more in flight than its slots", () => {
    expect(
      names(source(node("over", { maxConcurrency: 1, inFlight: 3 }), node("ok", { cpu: 50 }))),
    ).toEqual(["ok"]);
  });

  it("never counts a node with maxConcurrency 0 as full", () => {
    const selection = selectNodeForExecution(source(node("open", { inFlight: 50 })));
    expect(selection.node.name).toBe("open");
  });

  it("skips nodes running as many of the function as it allows", () => {
    const nodes = source(
      node("busy", { byFunction: { resize: 2 }, inFlight: 2, maxConcurrency: WIDE }),
      node("free", { cpu: 60, memory: 60, byFunction: { resize: 1 }, inFlight: 1 }),
    );
    expect(names(nodes, { functionName: "resize", concurrency: 2 })).toEqual(["free"]);
  });

  it("counts only calls of the same function against its concurrency", () => {
    const nodes = source(
      node("a", { byFunction: { other: 5 }, inFlight: 5, maxConcurrency: WIDE }),
      node("b", { cpu: 60, memory: 60 }),
    );
    const selection = selectNodeForExecution(nodes, { functionName: "resize", concurrency: 1 });
    expect(selection.node.name).toBe("a");
  });

  it("applies no per-function limit when concurrency is null or absent", () => {
    const busy = node("busy", { byFunction: { resize: 9 }, inFlight: 9, maxConcurrency: WIDE });
    expect(names(source(busy), { functionName: "resize", concurrency: null })).toEqual(["busy"]);
    expect(names(source(busy), { functionName: "resize" })).toEqual(["busy"]);
    expect(names(source(busy), { concurrency: 1 })).toEqual(["busy"]);
  });

  it("throws ClusterAtCapacityError when every Active node is full", () => {
    const nodes = source(
      node("a", { maxConcurrency: 1, inFlight: 1 }),
      node("b", { maxConcurrency: 2, inFlight: 2 }),
      node("gone", { status: "Inactive" }),
      node("leaving", { status: "Draining" }),
    );
    const error = thrown(() => selectNodeForExecution(nodes));
    expect(error).toBeInstanceOf(ClusterAtCapacityError);
    expect(error).toBeInstanceOf(CaresError);
    expect((error as ClusterAtCapacityError).code).toBe("cluster_at_capacity");
    expect((error as ClusterAtCapacityError).details).toEqual({ activeNodes: 2 });
    expect((error as Error).message).toBe(
      "all 2 active workers run as many calls as they take; retry shortly",
    );
  });

  it("names the function when its concurrency fills every Active node", () => {
    const nodes = source(node("a", { byFunction: { resize: 1 }, inFlight: 1 }));
    const error = thrown(() =>
      selectNodeForExecution(nodes, { functionName: "resize", concurrency: 1 }),
    );
    expect(error).toBeInstanceOf(ClusterAtCapacityError);
    expect((error as Error).message).toBe(
      "all 1 active workers run as many calls as they take, or as many of 'resize' as it " +
        "allows; retry shortly",
    );
  });

  it("throws NoActiveNodeError, not ClusterAtCapacityError, when no node is Active", () => {
    const nodes = source(
      node("a", { status: "Draining" }),
      node("b", { status: "Inactive", maxConcurrency: 1, inFlight: 1 }),
    );
    const error = thrown(() => selectNodeForExecution(nodes));
    expect(error).toBeInstanceOf(NoActiveNodeError);
    expect(error).not.toBeInstanceOf(ClusterAtCapacityError);
    expect((error as NoActiveNodeError).code).toBe("no_active_node");
    expect((error as NoActiveNodeError).totalNodes).toBe(2);
  });
});

describe("selectNodeForExecution with exclude", () => {
  it("skips the excluded nodes even when they are cheapest", () => {
    const nodes = source(node("a"), node("b", { cpu: 10 }), node("c", { cpu: 50 }));
    const selection = selectNodeForExecution(nodes, { exclude: new Set(["id-a"]) });
    expect(selection.node.name).toBe("b");
    expect(selection.candidates.map((c) => c.node.name)).toEqual(["b", "c"]);
  });

  it("matches excluded nodes by id, not by name", () => {
    const nodes = source(node("a"), node("b", { cpu: 10 }));
    expect(selectNodeForExecution(nodes, { exclude: new Set(["a"]) }).node.name).toBe("a");
  });

  it("throws a CaresError when every Active node is excluded", () => {
    const nodes = source(node("a"), node("b"));
    const error = thrown(() =>
      selectNodeForExecution(nodes, { exclude: new Set(["id-a", "id-b"]) }),
    );
    expect(error).toBeInstanceOf(CaresError);
  });

  it("does not count excluded nodes among the Active ones at capacity", () => {
    const nodes = source(node("a"), node("b", { maxConcurrency: 1, inFlight: 1 }));
    const error = thrown(() => selectNodeForExecution(nodes, { exclude: new Set(["id-a"]) }));
    expect(error).toBeInstanceOf(ClusterAtCapacityError);
    expect((error as ClusterAtCapacityError).details).toEqual({ activeNodes: 1 });
  });
});

describe("selectNodeForExecution tie-breaks", () => {
  it("uses a resolution of 2 cost points", () => {
    expect(COST_RESOLUTION).toBe(2);
  });

  it("breaks a near tie by fewer calls in flight, before exact cost", () => {
    // Costs 10.2 and 11: equal to the resolution; b has fewer calls in flight.
    const selection = selectNodeForExecution(
      source(
        node("a", { cpu: 10, memory: 10, inFlight: 2, maxConcurrency: WIDE }),
        node("b", { cpu: 11, memory: 11, maxConcurrency: WIDE }),
      ),
    );
    expect(selection.node.name).toBe("b");
    expect(selection.candidates.map((c) => c.node.name)).toEqual(["b", "a"]);
  });

  it("then by fewer running executions", () => {
    const selection = selectNodeForExecution(
      source(
        node("a", { cpu: 10, memory: 10, inFlight: 1, running: 3, maxConcurrency: WIDE }),
        node("b", { cpu: 11, memory: 11, inFlight: 1, running: 1, maxConcurrency: WIDE }),
      ),
    );
    expect(selection.node.name).toBe("b");
  });

  it("puts calls in flight before running executions", () => {
    const selection = selectNodeForExecution(
      source(
        node("a", { cpu: 10, memory: 10, inFlight: 1, running: 0, maxConcurrency: WIDE }),
        node("b", { cpu: 10, memory: 10, inFlight: 0, running: 5, maxConcurrency: WIDE }),
      ),
    );
    expect(selection.node.name).toBe("b");
  });

  it("then by the node that was sent a call longest ago", () => {
    const selection = selectNodeForExecution(
      source(
        node("recent", { cpu: 10, memory: 10, running: 1, lastDispatchAt: 2_000 }),
        node("older", { cpu: 11, memory: 11, running: 1, lastDispatchAt: 1_000 }),
        node("never", { cpu: 11, memory: 11, running: 1, lastDispatchAt: 0 }),
      ),
    );
    expect(selection.node.name).toBe("never");
    expect(selection.candidates.map((c) => c.node.name)).toEqual(["never", "older", "recent"]);
  });

  it("puts running executions before the time of the last dispatch", () => {
    const selection = selectNodeForExecution(
      source(
        node("a", { cpu: 10, memory: 10, running: 2, lastDispatchAt: 0 }),
        node("b", { cpu: 10, memory: 10, running: 1, lastDispatchAt: 5_000 }),
      ),
    );
    expect(selection.node.name).toBe("b");
  });

  it("then by exact cost, then by name", () => {
    expect(
      names(
        source(
          node("zeta", { cpu: 10, memory: 10 }),
          node("alpha", { cpu: 11, memory: 11 }),
          node("beta", { cpu: 10, memory: 10 }),
        ),
      ),
    ).toEqual(["beta", "zeta", "alpha"]);
  });

  it("lets a whole resolution step of cost beat every tie-break", () => {
    const selection = selectNodeForExecution(
      source(
        node("cheap", { cpu: 10, memory: 10, inFlight: 3, running: 9, maxConcurrency: WIDE }),
        node("dear", { cpu: 14, memory: 14, maxConcurrency: WIDE }),
      ),
    );
    expect(selection.node.name).toBe("cheap");
  });
});

describe("selectNodeForExecution with Draining nodes", () => {
  it("never chooses a Draining node, however cheap", () => {
    const nodes = source(
      node("leaving", { status: "Draining" }),
      node("staying", { cpu: 90, memory: 90 }),
    );
    for (let i = 0; i < 5; i++) {
      const selection = selectNodeForExecution(nodes);
      expect(selection.node.name).toBe("staying");
      expect(selection.candidates.map((c) => c.node.name)).toEqual(["staying"]);
    }
  });

  it("never offers a Draining node to the strategy", () => {
    const offered: string[] = [];
    const last: SchedulingStrategy = {
      name: "last",
      pick(candidates) {
        offered.push(...candidates.map((c) => c.node.name));
        return candidates[candidates.length - 1]!;
      },
    };
    const selection = selectNodeForExecution(
      source(node("a"), node("d", { status: "Draining", cpu: 99 }), node("b", { cpu: 40 })),
      {},
      last,
    );
    expect(offered).toEqual(["a", "b"]);
    expect(selection.node.name).toBe("b");
    expect(selection.cost).toBe(20);
  });
});

describe("selectNodeForExecution purity", () => {
  it("changes no node's calls in flight, dispatch time or per-function counts", () => {
    const nodes = [
      node("a", { cpu: 10, inFlight: 1, byFunction: { f: 1 }, maxConcurrency: 4 }),
      node("b", {
        cpu: 30,
        inFlight: 1,
        byFunction: { f: 1 },
        lastDispatchAt: 123,
        maxConcurrency: 4,
      }),
      node("c", { status: "Draining", inFlight: 2, byFunction: { f: 2 } }),
    ];
    const before = structuredClone(nodes);

    for (let i = 0; i < 3; i++) {
      selectNodeForExecution({ list: () => nodes }, { functionName: "f", concurrency: 2 });
    }
    thrown(() =>
      selectNodeForExecution({ list: () => nodes }, { functionName: "f", concurrency: 1 }),
    );

    expect(nodes).toEqual(before);
    expect(nodes[0]!.inFlightByFunction).toEqual(new Map([["f", 1]]));
  });
});
