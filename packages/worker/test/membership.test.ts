import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  CaresError,
  Logger,
  OrchestratorClient,
  RemoteCallError,
  startClusterServer,
  type ClusterHandlers,
  type ClusterServer,
  type LogRecord,
  type NodeLoad,
  type NodeRegistration,
} from "@cares/shared";
import { Membership, type MembershipOptions } from "../src/membership/membership.js";
import type { MetricsSource } from "../src/metrics/metrics-source.js";

const REGISTRATION: NodeRegistration = {
  name: "worker-under-test",
  address: "127.0.0.1:50999",
  executor: "fake",
  heartbeatIntervalMs: 100,
  capacity: { cpus: 4, memoryBytes: 8 * 1024 ** 3, maxConcurrency: 0 },
};

const stubMetrics: MetricsSource = {
  name: "stub",
  read: async () => ({ cpuUsage: 12.5, memoryUsage: 40.25 }),
};

/** What lives for one test and is taken down after it. */
const servers: ClusterServer[] = [];
const clients: OrchestratorClient[] = [];
const memberships: Membership[] = [];

afterEach(async () => {
  await Promise.all(memberships.splice(0).map((m) => m.stop()));
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.close(0)));
});

async function startOrchestrator(
  handlers: Partial<ClusterHandlers>,
  port = 0,
): Promise<ClusterServer> {
  const server = await startClusterServer(handlers, "127.0.0.1", port);
  servers.push(server);
  return server;
}

/** A free loopback port: bound, read and released at once. */
function reservePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function membershipFor(port: number, extra: Partial<MembershipOptions> = {}) {
  const records: LogRecord[] = [];
  const client = new OrchestratorClient(`127.0.0.1:${port}`);
  clients.push(client);
  const membership = new Membership({
    client,
    registration: REGISTRATION,
    metrics: stubMetrics,
    running: () => 2,
    log: new Logger((record) => records.push(record), { level: "debug" }),
    callTimeoutMs: 1_000,
    retryBaseMs: 50,
    retryMaxMs: 200,
    ...extra,
  });
  memberships.push(membership);
  return { membership, records };
}

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Membership", () => {
  it("registers, then sends heartbeats with the metrics and running calls", async () => {
    const registrations: NodeRegistration[] = [];
    const heartbeats: NodeLoad[] = [];
    const server = await startOrchestrator({
      registerNode: async (registration) => {
        registrations.push(registration);
        return { nodeId: "node-1", heartbeatIntervalMs: 100 };
      },
      heartbeat: async (load) => {
        heartbeats.push(load);
        return { known: true };
      },
    });
    const { membership, records } = membershipFor(server.port);

    expect(membership.state).toBe("connecting");
    await membership.start();
    expect(membership.state).toBe("registered");
    expect(membership.nodeId).toBe("node-1");
    expect(registrations).toEqual([REGISTRATION]);
    expect(records.map((r) => r.message)).toContain(
      `Registered with orchestrator at 127.0.0.1:${server.port} as node node-1.`,
    );

    await until(() => heartbeats.length >= 3);
    for (const load of heartbeats) {
      expect(load).toMatchObject({
        nodeId: "node-1",
        cpuUsage: 12.5,
        memoryUsage: 40.25,
        runningExecutions: 2,
      });
    }
  });

  it("sends heartbeats at the interval the orchestrator grants", async () => {
    const times: number[] = [];
    const server = await startOrchestrator({
      registerNode: async () => ({ nodeId: "node-1", heartbeatIntervalMs: 150 }),
      heartbeat: async () => {
        times.push(Date.now());
        return { known: true };
      },
    });
    const { membership } = membershipFor(server.port, {
      registration: { ...REGISTRATION, heartbeatIntervalMs: 60_000 },
    });
    await membership.start();
    await until(() => times.length >= 4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(100);
      expect(gap).toBeLessThan(1_000);
    }
  });

  it("retries registration until the orchestrator appears", async () => {
    const port = await reservePort();
    const { membership, records } = membershipFor(port);
    const started = membership.start();
    await pause(400);
    expect(membership.state).toBe("unreachable");
    expect(records.some((r) => r.level === "warn" && /not reachable/.test(r.message))).toBe(true);

    let registrations = 0;
    await startOrchestrator(
      {
        registerNode: async () => {
          registrations++;
          return { nodeId: "late-node", heartbeatIntervalMs: 100 };
        },
        heartbeat: async () => ({ known: true }),
      },
      port,
    );
    await started;
    expect(membership.state).toBe("registered");
    expect(membership.nodeId).toBe("late-node");
    expect(registrations).toBe(1);
  }, 15_000);

  it("registers again when a heartbeat answers that the node is unknown", async () => {
    let registrations = 0;
    const heartbeats: NodeLoad[] = [];
    const server = await startOrchestrator({
      registerNode: async () => {
        registrations++;
        return { nodeId: `node-${registrations}`, heartbeatIntervalMs: 100 };
      },
      heartbeat: async (load) => {
        heartbeats.push(load);
        // The first heartbeat finds an orchestrator that restarted and forgot the node.
        return { known: heartbeats.length > 1 };
      },
    });
    const { membership, records } = membershipFor(server.port);
    await membership.start();
    await until(() => heartbeats.length >= 3);

    expect(registrations).toBe(2);
    expect(membership.nodeId).toBe("node-2");
    expect(heartbeats[0]!.nodeId).toBe("node-1");
    expect(heartbeats.slice(1).every((load) => load.nodeId === "node-2")).toBe(true);
    expect(records.map((r) => r.message)).toContain(
      "Orchestrator no longer knows this node; registering again.",
    );
  });

  it("gives up when the orchestrator says the name is taken", async () => {
    let attempts = 0;
    const server = await startOrchestrator({
      registerNode: async () => {
        attempts++;
        throw new CaresError("node_name_taken", "node name 'worker-under-test' is taken");
      },
    });
    const { membership } = membershipFor(server.port);
    const failure = await membership.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RemoteCallError);
    expect((failure as RemoteCallError).remoteCode).toBe("node_name_taken");
    expect((failure as RemoteCallError).message).toContain("is taken");
    await pause(300);
    expect(attempts).toBe(1);
  });

  it("reports unreachable while heartbeats fail and registered once they work again", async () => {
    let failing = false;
    let heartbeats = 0;
    const server = await startOrchestrator({
      registerNode: async () => ({ nodeId: "node-1", heartbeatIntervalMs: 100 }),
      heartbeat: async () => {
        heartbeats++;
        if (failing) throw new CaresError("unavailable", "busy");
        return { known: true };
      },
    });
    const { membership, records } = membershipFor(server.port);
    await membership.start();
    failing = true;
    await until(() => membership.state === "unreachable");
    expect(records.some((r) => r.message.startsWith("Heartbeat to "))).toBe(true);
    failing = false;
    await until(() => membership.state === "registered");
    expect(records.map((r) => r.message)).toContain(
      `Orchestrator at 127.0.0.1:${server.port} answers again.`,
    );
    expect(heartbeats).toBeGreaterThan(1);
  });

  it("stop() ends the heartbeat loop", async () => {
    let heartbeats = 0;
    const server = await startOrchestrator({
      registerNode: async () => ({ nodeId: "node-1", heartbeatIntervalMs: 100 }),
      heartbeat: async () => {
        heartbeats++;
        return { known: true };
      },
    });
    const { membership } = membershipFor(server.port);
    await membership.start();
    await until(() => heartbeats >= 2);

    await membership.stop();
    expect(membership.state).toBe("stopped");
    const sent = heartbeats;
    await pause(400);
    expect(heartbeats).toBe(sent);
  });

  it("stop() during registration retries makes start() reject", async () => {
    const port = await reservePort();
    const { membership } = membershipFor(port);
    const started = membership.start();
    await pause(200);
    await membership.stop();
    await expect(started).rejects.toThrow();
    expect(membership.state).toBe("stopped");
  });
});
