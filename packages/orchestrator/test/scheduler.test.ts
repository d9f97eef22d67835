import { CaresError } from "@cares/shared";
import { describe, expect, it } from "vitest";
import type { NodeRecord, NodeStatus } from "../src/registry/node-registry.js";
import {
  CPU_WEIGHT,
  MEMORY_WEIGHT,
  NoActiveNodeError,
  nodeCost,
  selectNodeForExecution,
  type NodeSource,
} from "../src/scheduler/scheduler.js";
import { nodeRecord } from "./support/node-records.js";

function node(
  name: string,
  cpuUsage: number,
  memoryUsage: number,
  options: { status?: NodeStatus; running?: number } = {},
): NodeRecord {
  return nodeRecord(name, {
    cpuUsage,
    memoryUsage,
    status: options.status ?? "Active",
    runningExecutions: options.running ?? 0,
  });
}

function source(...nodes: NodeRecord[]): NodeSource {
  return { list: () => nodes };
}

describe("nodeCost", () => {
  it("weighs CPU and memory usage by half each", () => {
    expect(CPU_WEIGHT).toBe(0.5);
    expect(MEMORY_WEIGHT).toBe(0.5);
    expect(nodeCost({ cpuUsage: 40, memoryUsage: 20 })).toBe(30);
    expect(nodeCost({ cpuUsage: 0, memoryUsage: 0 })).toBe(0);
    expect(nodeCost({ cpuUsage: 100, memoryUsage: 100 })).toBe(100);
    expect(nodeCost({ cpuUsage: 15, memoryUsage: 0 })).toBe(7.5);
  });
});

describe("selectNodeForExecution", () => {
  it("picks the node of lowest cost", () => {
    const selection = selectNodeForExecution(
      source(node("a", 80, 60), node("b", 10, 30), node("c", 50, 50)),
    );
    expect(selection.node.name).toBe("b");
    expect(selection.cost).toBe(20);
  });

  it("lists every Active candidate with its cost, cheapest first", () => {
    const selection = selectNodeForExecution(
      source(node("a", 80, 60), node("b", 10, 30), node("c", 50, 50)),
    );
    expect(selection.candidates.map((c) => [c.node.name, c.cost])).toEqual([
      ["b", 20],
      ["c", 50],
      ["a", 70],
    ]);
  });

  it("compares the weighted sum, not either usage alone", () => {
    // a has the lower CPU, b the lower memory; b's sum is lower.
    const selection = selectNodeForExecution(source(node("a", 10, 90), node("b", 40, 40)));
    expect(selection.node.name).toBe("b");
  });

  it("breaks a cost tie by fewer running executions", () => {
    const selection = selectNodeForExecution(
      source(node("a", 20, 20, { running: 3 }), node("b", 30, 10, { running: 1 })),
    );
    expect(selection.node.name).toBe("b");
  });

  it("breaks a tie of cost and running executions by name", () => {
    const selection = selectNodeForExecution(
      source(node("zeta", 10, 10, { running: 2 }), node("alpha", 10, 10, { running: 2 })),
    );
    expect(selection.node.name).toBe("alpha");
    expect(selection.candidates.map((c) => c.node.name)).toEqual(["alpha", "zeta"]);
  });

  it("prefers lower cost over fewer running executions", () => {
    const selection = selectNodeForExecution(
      source(node("busy", 10, 10, { running: 9 }), node("idle", 16, 10, { running: 0 })),
    );
    expect(selection.node.name).toBe("busy");
  });

  it("treats costs within COST_RESOLUTION as equal and breaks the tie", () => {
    const selection = selectNodeForExecution(
      source(node("busy", 10, 10, { running: 9 }), node("idle", 11, 10, { running: 0 })),
    );
    expect(selection.node.name).toBe("idle");
  });

  it("picks the only node when there is one", () => {
    const only = node("solo", 99, 99);
    const selection = selectNodeForExecution(source(only));
    expect(selection.node).toBe(only);
    expect(selection.candidates).toHaveLength(1);
  });

  it("ignores Inactive nodes even when they are cheaper", () => {
    const selection = selectNodeForExecution(
      source(node("cheap", 0, 0, { status: "Inactive" }), node("dear", 90, 90)),
    );
    expect(selection.node.name).toBe("dear");
    expect(selection.candidates.map((c) => c.node.name)).toEqual(["dear"]);
  });

  it("throws NoActiveNodeError when every node is Inactive", () => {
    const nodes = source(
      node("a", 0, 0, { status: "Inactive" }),
      node("b", 0, 0, { status: "Inactive" }),
    );
    let caught: unknown;
    try {
      selectNodeForExecution(nodes);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NoActiveNodeError);
    expect(caught).toBeInstanceOf(CaresError);
    const error = caught as NoActiveNodeError;
    expect(error.code).toBe("no_active_node");
    expect(error.totalNodes).toBe(2);
    expect(error.details).toEqual({ nodes: 2 });
    expect(error.message).toBe(
      "none of the 2 registered workers can take calls now; try again when one is active",
    );
  });

  it("names why each node is out when it knows", () => {
    const down = node("a", 0, 0, { status: "Inactive" });
    down.statusReason = "the Docker engine is not reachable";
    expect(() => selectNodeForExecution(source(down))).toThrow(
      "none of the 1 registered workers can take calls now " +
        "(a: the Docker engine is not reachable); try again when one is active",
    );
  });

  it("throws NoActiveNodeError when no node has registered at all", () => {
    expect(() => selectNodeForExecution(source())).toThrow(NoActiveNodeError);
    expect(() => selectNodeForExecution(source())).toThrow(/no worker has registered/);
  });

  it("changes neither the list nor the nodes it reads", () => {
    const nodes = [
      node("c", 50, 50),
      node("a", 80, 60, { status: "Inactive" }),
      node("b", 10, 30, { running: 2 }),
    ];
    const before = structuredClone(nodes);
    for (const each of nodes) Object.freeze(each);
    Object.freeze(nodes);

    const first = selectNodeForExecution({ list: () => nodes });
    const second = selectNodeForExecution({ list: () => nodes });

    expect(nodes).toEqual(before);
    expect(nodes.map((n) => n.name)).toEqual(["c", "a", "b"]);
    expect(first.node).toBe(second.node);
    expect(first.candidates).not.toBe(second.candidates);
  });
});
