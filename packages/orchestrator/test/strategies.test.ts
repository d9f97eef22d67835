import { describe, expect, it } from "vitest";
import type { NodeRecord } from "../src/registry/node-registry.js";
import type { Candidate } from "../src/scheduler/scheduler.js";
import {
  builtinStrategies,
  leastCost,
  powerOfTwo,
  StrategyRegistry,
  type SchedulingStrategy,
} from "../src/scheduler/strategies.js";
import { nodeRecord } from "./support/node-records.js";

function node(name: string): NodeRecord {
  return nodeRecord(name);
}

/** Candidates named c0, c1, … with costs 0, 10, 20, …: sorted cheapest first. */
function candidates(count: number): Candidate[] {
  return Array.from({ length: count }, (_, i) => ({ node: node(`c${i}`), cost: i * 10 }));
}

/** A random() that returns `values` in turn, and fails the test if asked for more. */
function sequence(...values: number[]): () => number {
  let next = 0;
  return () => {
    if (next >= values.length) throw new Error("random() called more often than expected");
    return values[next++]!;
  };
}

describe("leastCost", () => {
  it("is named least-cost", () => {
    expect(leastCost.name).toBe("least-cost");
  });

  it("picks the first candidate, which is the cheapest", () => {
    const list = candidates(4);
    expect(leastCost.pick(list)).toBe(list[0]);
  });

  it("picks the only candidate when there is one", () => {
    const list = candidates(1);
    expect(leastCost.pick(list)).toBe(list[0]);
  });
});

describe("powerOfTwo", () => {
  it("is named power-of-two", () => {
    expect(powerOfTwo().name).toBe("power-of-two");
  });

  it("picks the cheaper of the two drawn candidates", () => {
    const list = candidates(5);
    // First draw: floor(0.9 * 5) = 4; second: floor(0.3 * 4) = 1, below 4 so kept.
    expect(powerOfTwo(sequence(0.9, 0.3)).pick(list)).toBe(list[1]);
    // First draw: floor(0.2 * 5) = 1; second: floor(0.6 * 4) = 2, shifted past 1 to 3.
    expect(powerOfTwo(sequence(0.2, 0.6)).pick(list)).toBe(list[1]);
    // First draw: 3; second: floor(0.99 * 4) = 3, shifted to 4.
    expect(powerOfTwo(sequence(0.7, 0.99)).pick(list)).toBe(list[3]);
  });

  it("never draws the same index twice", () => {
    const list = candidates(2);
    // Both draws would land on index 0; the second is shifted to 1, so the pick is 0
    // and the second draw really was the other candidate.
    expect(powerOfTwo(sequence(0, 0)).pick(list)).toBe(list[0]);
    // Draw 1 then (0.99 * 1 = 0): the pair is {1, 0}, so the cheaper 0 wins.
    expect(powerOfTwo(sequence(0.99, 0.99)).pick(list)).toBe(list[0]);
  });

  it("draws two distinct indexes for every pair of random values", () => {
    // Had both draws been allowed to land on the dearest candidate, it would be picked
    // for some pair; over a grid of random values it never is, while every other
    // candidate is.
    const list = candidates(4);
    const grid = Array.from({ length: 40 }, (_, i) => i / 40);
    const picked = new Set<number>();
    for (const a of grid) {
      for (const b of grid) picked.add(list.indexOf(powerOfTwo(sequence(a, b)).pick(list)));
    }
    expect([...picked].sort()).toEqual([0, 1, 2]);
  });

  it("returns the only candidate without drawing", () => {
    const list = candidates(1);
    expect(powerOfTwo(sequence()).pick(list)).toBe(list[0]);
  });

  it("never picks the dearest of three or more candidates over many draws", () => {
    for (const count of [3, 4, 7]) {
      const list = candidates(count);
      const strategy = powerOfTwo();
      const seen = new Set<number>();
      for (let i = 0; i < 2_000; i++) {
        const index = list.indexOf(strategy.pick(list));
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).not.toBe(count - 1);
        seen.add(index);
      }
      // It spreads: the cheapest is not the only node chosen.
      expect(seen.has(0)).toBe(true);
      expect(seen.has(1)).toBe(true);
    }
  });

  it("with two candidates, always picks the cheaper", () => {
    const list = candidates(2);
    const strategy = powerOfTwo();
    for (let i = 0; i < 500; i++) expect(strategy.pick(list)).toBe(list[0]);
  });
});

describe("StrategyRegistry", () => {
  it("creates a strategy by its name", () => {
    const registry = new StrategyRegistry();
    const custom: SchedulingStrategy = { name: "last", pick: (list) => list[list.length - 1]! };
    registry.register("last", () => custom);
    expect(registry.create("last")).toBe(custom);
  });

  it("calls the factory on every create", () => {
    const registry = new StrategyRegistry();
    let made = 0;
    registry.register("counted", () => {
      made++;
      return leastCost;
    });
    registry.create("counted");
    registry.create("counted");
    expect(made).toBe(2);
  });

  it("lists its names sorted", () => {
    const registry = new StrategyRegistry();
    registry.register("zeta", () => leastCost);
    registry.register("alpha", () => leastCost);
    expect(registry.names()).toEqual(["alpha", "zeta"]);
  });

  it("refuses a name registered twice", () => {
    const registry = new StrategyRegistry();
    registry.register("twice", () => leastCost);
    expect(() => registry.register("twice", () => leastCost)).toThrow(
      "strategy 'twice' is registered twice",
    );
    expect(registry.names()).toEqual(["twice"]);
  });

  it("names the known strategies when asked for an unknown one", () => {
    const registry = new StrategyRegistry();
    registry.register("b", () => leastCost);
    registry.register("a", () => leastCost);
    expect(() => registry.create("nope")).toThrow(
      "no scheduling strategy named 'nope' (known: a, b)",
    );
  });
});

describe("builtinStrategies", () => {
  it("registers least-cost and power-of-two", () => {
    expect(builtinStrategies().names()).toEqual(["least-cost", "power-of-two"]);
  });

  it("creates each built-in under its own name", () => {
    const registry = builtinStrategies();
    expect(registry.create("least-cost")).toBe(leastCost);
    const two = registry.create("power-of-two");
    expect(two.name).toBe("power-of-two");
    const list = candidates(3);
    expect(two.pick(list)).not.toBe(list[2]);
  });

  it("gives a fresh power-of-two on each create", () => {
    const registry = builtinStrategies();
    expect(registry.create("power-of-two")).not.toBe(registry.create("power-of-two"));
  });

  it("refuses an unknown name and lists the built-ins", () => {
    expect(() => builtinStrategies().create("round-robin")).toThrow(
      /no scheduling strategy named 'round-robin' \(known: least-cost, power-of-two\)/,
    );
  });

  it("refuses to register a built-in name again", () => {
    expect(() => builtinStrategies().register("least-cost", () => leastCost)).toThrow(
      /registered twice/,
    );
  });
});
