import type { NodeRecord } from "../../src/registry/node-registry.js";

/**
 * A node as the registry keeps it, Active and idle unless `overrides` say otherwise,
 * for tests of the scheduler that need no registry.
 */
export function nodeRecord(name: string, overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id: `id-${name}`,
    name,
    address: `${name}:50052`,
    capacity: { cpus: 4, memoryBytes: 1024, maxConcurrency: 0 },
    executor: "fake",
    heartbeatIntervalMs: 1_000,
    status: "Active",
    cpuUsage: 0,
    memoryUsage: 0,
    runningExecutions: 0,
    registeredAt: 0,
    lastHeartbeatAt: 0,
    inFlight: 0,
    inFlightByFunction: new Map(),
    lastDispatchAt: 0,
    statusSince: 0,
    statusReason: "",
    ...overrides,
  };
}
