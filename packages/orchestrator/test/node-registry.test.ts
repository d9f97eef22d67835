import {
  CaresError,
  Logger,
  silentSink,
  type LogRecord,
  type NodeRegistration,
} from "@cares/shared";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  MAX_HEARTBEAT_INTERVAL_MS,
  MIN_HEARTBEAT_INTERVAL_MS,
  NodeRegistry,
  type NodeRecord,
} from "../src/registry/node-registry.js";

function registration(overrides: Partial<NodeRegistration> = {}): NodeRegistration {
  return {
    name: "w1",
    address: "127.0.0.1:50052",
    executor: "docker",
    heartbeatIntervalMs: 1_000,
    capacity: { cpus: 4, memoryBytes: 8 * 1024 ** 3, maxConcurrency: 2 },
    ...overrides,
  };
}

/** A registry on a clock the test moves, writing its log records to an array. */
function setup(options: { missedHeartbeats?: number } = {}) {
  let clock = 1_000_000;
  const records: LogRecord[] = [];
  const registry = new NodeRegistry({
    ...options,
    log: new Logger((record) => records.push(record), { level: "debug" }),
    now: () => clock,
  });
  return {
    registry,
    records,
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
  };
}

function load(node: NodeRecord, cpuUsage = 10, memoryUsage = 20, runningExecutions = 0) {
  return {
    nodeId: node.id,
    cpuUsage,
    memoryUsage,
    runningExecutions,
    draining: false,
    unhealthyReason: "",
  };
}

describe("NodeRegistry.register", () => {
  it("adds an Active node with zero load, stamped with the injected clock", () => {
    const { registry, now } = setup();
    const node = registry.register(registration());
    expect(node).toMatchObject({
      name: "w1",
      address: "127.0.0.1:50052",
      executor: "docker",
      heartbeatIntervalMs: 1_000,
      status: "Active",
      cpuUsage: 0,
      memoryUsage: 0,
      runningExecutions: 0,
      registeredAt: now(),
      lastHeartbeatAt: now(),
    });
    expect(node.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(registry.get(node.id)).toBe(node);
    expect(registry.findByName("w1")).toBe(node);
  });

  it("copies the capacity rather than keeping the caller's object", () => {
    const { registry } = setup();
    const input = registration();
    const node = registry.register(input);
    input.capacity.cpus = 99;
    expect(node.capacity.cpus).toBe(4);
  });

  it("logs the registration with the node's name and address", () => {
    const { registry, records } = setup();
    const node = registry.register(registration());
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: "info",
      message: "Node 'w1' registered at 127.0.0.1:50052.",
      fields: { node: "w1", address: "127.0.0.1:50052", nodeId: node.id, executor: "docker" },
    });
  });

  it("lists nodes sorted by name", () => {
    const { registry } = setup();
    registry.register(registration({ name: "charlie", address: "c:1" }));
    registry.register(registration({ name: "alpha", address: "a:1" }));
    registry.register(registration({ name: "bravo", address: "b:1" }));
    expect(registry.list().map((n) => n.name)).toEqual(["alpha", "bravo", "charlie"]);
  });

  it("replaces a node that registers again under the same name and address", () => {
    const { registry } = setup();
    const first = registry.register(registration());
    registry.heartbeat(load(first, 50, 50, 3));
    const second = registry.register(registration({ executor: "fake" }));

    expect(second.id).not.toBe(first.id);
    expect(registry.list()).toEqual([second]);
    expect(registry.get(first.id)).toBeUndefined();
    expect(second).toMatchObject({ executor: "fake", cpuUsage: 0, runningExecutions: 0 });
    expect(registry.heartbeat(load(first))).toBe(false);
  });

  it("refuses a name held by an Active node at another address", () => {
    const { registry } = setup();
    const first = registry.register(registration());
    let caught: unknown;
    try {
      registry.register(registration({ address: "10.0.0.9:50052" }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CaresError);
    const error = caught as CaresError;
    expect(error.code).toBe("node_name_taken");
    expect(error.details).toEqual({ node: "w1" });
    expect(error.message).toContain("127.0.0.1:50052");
    expect(registry.list()).toEqual([first]);
  });

  it("lets a new address take the name of a node that is Inactive", () => {
    const { registry } = setup();
    const first = registry.register(registration());
    registry.markInactive(first.id, "gone");
    const second = registry.register(registration({ address: "10.0.0.9:50052" }));
    expect(registry.list()).toEqual([second]);
    expect(second).toMatchObject({ status: "Active", address: "10.0.0.9:50052" });
  });
});

describe("NodeRegistry heartbeat interval", () => {
  it.each([
    [1_000, 1_000],
    [0, DEFAULT_HEARTBEAT_INTERVAL_MS],
    [Number.NaN, DEFAULT_HEARTBEAT_INTERVAL_MS],
    [1, MIN_HEARTBEAT_INTERVAL_MS],
    [-500, MIN_HEARTBEAT_INTERVAL_MS],
    [MIN_HEARTBEAT_INTERVAL_MS, MIN_HEARTBEAT_INTERVAL_MS],
    [MAX_HEARTBEAT_INTERVAL_MS, MAX_HEARTBEAT_INTERVAL_MS],
    [MAX_HEARTBEAT_INTERVAL_MS + 1, MAX_HEARTBEAT_INTERVAL_MS],
    [10 * 60_000, MAX_HEARTBEAT_INTERVAL_MS],
  ])("grants %d ms as %d ms", (asked, granted) => {
    const { registry } = setup();
    expect(
      registry.register(registration({ heartbeatIntervalMs: asked })).heartbeatIntervalMs,
    ).toBe(granted);
  });

  it("states the bounds it clamps to", () => {
    expect([
      MIN_HEARTBEAT_INTERVAL_MS,
      DEFAULT_HEARTBEAT_INTERVAL_MS,
      MAX_HEARTBEAT_INTERVAL_MS,
    ]).toEqual([100, 2_000, 60_000]);
  });
});

describe("NodeRegistry.heartbeat", () => {
  it("returns false for an id it does not know", () => {
    const { registry } = setup();
    registry.register(registration());
    expect(
      registry.heartbeat({
        nodeId: "nope",
        cpuUsage: 1,
        memoryUsage: 1,
        runningExecutions: 0,
        draining: false,
        unhealthyReason: "",
      }),
    ).toBe(false);
  });

  it("records the load and the time", () => {
    const { registry, advance, now } = setup();
    const node = registry.register(registration());
    advance(500);
    expect(registry.heartbeat(load(node, 12.5, 40, 2))).toBe(true);
    expect(node).toMatchObject({
      cpuUsage: 12.5,
      memoryUsage: 40,
      runningExecutions: 2,
      lastHeartbeatAt: now(),
    });
  });

  it.each([
    [-5, 0],
    [150, 100],
    [Number.NaN, 100],
    [Number.POSITIVE_INFINITY, 100],
  ])("clamps a usage of %d to %d", (reported, stored) => {
    const { registry } = setup();
    const node = registry.register(registration());
    registry.heartbeat(load(node, reported, reported));
    expect(node.cpuUsage).toBe(stored);
    expect(node.memoryUsage).toBe(stored);
  });
});

describe("NodeRegistry.sweep", () => {
  it("keeps a node Active up to three missed intervals and turns it Inactive after", () => {
    const { registry, advance } = setup();
    const node = registry.register(registration({ heartbeatIntervalMs: 1_000 }));

    advance(3_000);
    registry.sweep();
    expect(node.status).toBe("Active");

    advance(1);
    registry.sweep();
    expect(node.status).toBe("Inactive");
  });

  it("logs the change once, as a warning naming the reason", () => {
    const { registry, records, advance } = setup();
    registry.register(registration());
    records.length = 0;
    advance(3_001);
    registry.sweep();
    registry.sweep();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: "warn",
      message: "Node 'w1' is Inactive: no heartbeat for 3 intervals.",
      fields: { node: "w1", from: "Active", to: "Inactive" },
    });
  });

  it("counts from the last heartbeat, not from registration", () => {
    const { registry, advance } = setup();
    const node = registry.register(registration({ heartbeatIntervalMs: 1_000 }));
    advance(2_500);
    registry.heartbeat(load(node));
    advance(2_500);
    registry.sweep();
    expect(node.status).toBe("Active");
    advance(501);
    registry.sweep();
    expect(node.status).toBe("Inactive");
  });

  it("uses each node's own interval", () => {
    const { registry, advance } = setup();
    const fast = registry.register(
      registration({ name: "fast", address: "f:1", heartbeatIntervalMs: 100 }),
    );
    const slow = registry.register(
      registration({ name: "slow", address: "s:1", heartbeatIntervalMs: 10_000 }),
    );
    advance(5_000);
    registry.sweep();
    expect(fast.status).toBe("Inactive");
    expect(slow.status).toBe("Active");
  });

  it("honours a different number of missed heartbeats", () => {
    const { registry, advance } = setup({ missedHeartbeats: 1 });
    const node = registry.register(registration({ heartbeatIntervalMs: 1_000 }));
    advance(1_001);
    registry.sweep();
    expect(node.status).toBe("Inactive");
  });

  it("brings a node back to Active on its next heartbeat, and logs that", () => {
    const { registry, records, advance } = setup();
    const node = registry.register(registration());
    advance(10_000);
    registry.sweep();
    records.length = 0;

    expect(registry.heartbeat(load(node))).toBe(true);
    expect(node.status).toBe("Active");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: "info",
      message: "Node 'w1' is Active again.",
      fields: { node: "w1", from: "Inactive", to: "Active", reason: "heartbeat received" },
    });

    advance(1_000);
    registry.sweep();
    expect(node.status).toBe("Active");
  });
});

describe("NodeRegistry.markInactive", () => {
  it("turns a node Inactive at once with the reason given, logging it once", () => {
    const { registry, records } = setup();
    const node = registry.register(registration());
    records.length = 0;
    registry.markInactive(node.id, "it could not be reached");
    registry.markInactive(node.id, "again");
    expect(node.status).toBe("Inactive");
    expect(records.map((r) => [r.level, r.message])).toEqual([
      ["warn", "Node 'w1' is Inactive: it could not be reached."],
    ]);
  });

  it("ignores an unknown id", () => {
    const { registry, records } = setup();
    registry.register(registration());
    records.length = 0;
    expect(() => registry.markInactive("nope", "x")).not.toThrow();
    expect(records).toEqual([]);
  });
});

describe("NodeRegistry.onChange", () => {
  it("reports registrations, replacements, heartbeats and status changes until stopped", () => {
    const registry = new NodeRegistry({ log: new Logger(silentSink) });
    const seen: [string, string, boolean][] = [];
    const stop = registry.onChange((node, removed) => seen.push([node.name, node.status, removed]));

    const first = registry.register(registration());
    registry.heartbeat(load(first));
    registry.markInactive(first.id, "gone");
    registry.register(registration());
    stop();
    registry.register(registration({ name: "w2", address: "b:1" }));

    expect(seen).toEqual([
      ["w1", "Active", false],
      ["w1", "Active", false],
      ["w1", "Inactive", false],
      ["w1", "Inactive", true],
      ["w1", "Active", false],
    ]);
  });
});

describe("NodeRegistry clock", () => {
  it("uses Date.now when no clock is given", () => {
    const registry = new NodeRegistry({ log: new Logger(silentSink) });
    const before = Date.now();
    const node = registry.register(registration());
    expect(node.registeredAt).toBeGreaterThanOrEqual(before);
    expect(node.registeredAt).toBeLessThanOrEqual(Date.now());
  });
});

describe("node health beyond heartbeats", () => {
  it("turns a node Draining when its heartbeat says so, and forgets it when it leaves", () => {
    const { registry } = setup();
    const node = registry.register(registration());
    registry.heartbeat({ ...load(node), draining: true });
    expect(registry.get(node.id)?.status).toBe("Draining");

    expect(registry.leave(node.id)).toBe(true);
    expect(registry.list()).toEqual([]);
    expect(registry.leave(node.id)).toBe(false);
  });

  it("turns a node Inactive while it reports itself unhealthy, and Active when it is not", () => {
    const { registry, records } = setup();
    const node = registry.register(registration());
    registry.heartbeat({ ...load(node), unhealthyReason: "the engine is down" });
    expect(registry.get(node.id)?.status).toBe("Inactive");
    expect(records.map((r) => r.message)).toContain(
      `Node '${node.name}' is Inactive: the engine is down.`,
    );

    registry.heartbeat(load(node));
    expect(registry.get(node.id)?.status).toBe("Active");
  });

  it("counts calls in flight per node and per function until they are released", () => {
    const { registry } = setup();
    const node = registry.register(registration());
    registry.reserve(node, "f");
    registry.reserve(node, "f");
    registry.reserve(node, "g");
    expect(node.inFlight).toBe(3);
    expect(node.inFlightByFunction.get("f")).toBe(2);

    registry.release(node, "f");
    registry.release(node, "g");
    expect(node.inFlight).toBe(1);
    expect([...node.inFlightByFunction]).toEqual([["f", 1]]);
  });

  it("forgets a node that stayed Inactive past the forget-after time", () => {
    let clock = 0;
    const registry = new NodeRegistry({
      log: new Logger(() => {}),
      now: () => clock,
      forgetAfterMs: 60_000,
    });
    const node = registry.register(registration({ heartbeatIntervalMs: 1_000 }));
    clock = 5_000;
    registry.sweep();
    expect(registry.get(node.id)?.status).toBe("Inactive");
    clock = 64_000;
    registry.sweep();
    expect(registry.get(node.id)).toBeDefined();
    clock = 66_000;
    registry.sweep();
    expect(registry.get(node.id)).toBeUndefined();
  });
});
