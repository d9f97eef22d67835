// An orchestrator's HTTP app in the test's own process, on an in-memory database, with
// workers that answer from a function the test sets.
import { Logger, type ExecutionRequest, type ExecutionResult } from "@cares/shared";
import type { H3 } from "h3";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";
import { AsyncInvocations } from "../../src/async/async-invocations.js";
import type { WorkerClients } from "../../src/dispatch/worker-clients.js";
import { historyHooks } from "../../src/history/history-recorder.js";
import { InvocationHistory } from "../../src/history/invocation-history.js";
import { createHttpApp } from "../../src/http/app.js";
import { bearerCheck } from "../../src/http/auth.js";
import { Invoker } from "../../src/invoke/invoker.js";
import { OrchestratorMetrics } from "../../src/metrics/orchestrator-metrics.js";
import { NodeRegistry } from "../../src/registry/node-registry.js";
import { openState } from "../../src/store/open-state.js";

export function okResult(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    outcome: "succeeded",
    exitCode: 0,
    stdout: Buffer.from("Hello from Docker!\n"),
    stderr: "",
    durationMs: 12,
    errorMessage: "",
    outputTruncated: false,
    nodeName: "w1",
    ...overrides,
  };
}

export interface TestApp {
  app: H3;
  nodes: NodeRegistry;
  history: InvocationHistory;
  asyncCalls: AsyncInvocations;
  /** What every worker answers; replace it to change the answer. */
  worker: { answer: (request: ExecutionRequest) => Promise<ExecutionResult> };
  send(method: string, path: string, init?: RequestInit): Promise<Response>;
  /** Registers an Active node; `capacity` 0 takes any number of calls. */
  addNode(name?: string, capacity?: number): void;
  close(): Promise<void>;
}

export function createTestApp(
  options: { apiToken?: string; maxInFlight?: number; maxQueued?: number } = {},
): TestApp {
  const log = new Logger(() => {}, { level: "error" });
  const stored = openState({
    dataDir: undefined,
    history: { maxCount: 1000, maxAgeMs: 3_600_000 },
    log,
  });
  const nodes = new NodeRegistry({ log });
  const worker = { answer: async (_request: ExecutionRequest) => okResult() };
  const clients = {
    get: () => ({ execute: (request: ExecutionRequest) => worker.answer(request) }),
  } as unknown as WorkerClients;
  const invoker = new Invoker({ functions: stored.functions, nodes, clients, log });
  invoker.hooks.add(historyHooks(stored.history));
  const asyncCalls = new AsyncInvocations({
    invoker,
    functions: stored.functions,
    history: stored.history,
    log,
    maxQueued: options.maxQueued ?? 100,
    concurrency: 4,
    waitForNodeMs: 10_000,
  });
  const metrics = new OrchestratorMetrics({
    functions: stored.functions,
    nodes,
    asyncBacklog: () => asyncCalls.backlog,
  });
  invoker.hooks.add(metrics.hooks());
  const app = createHttpApp({
    functions: stored.functions,
    nodes,
    invoker,
    log,
    maxBodyBytes: 1024,
    checkBearer: bearerCheck(options.apiToken),
    maxInFlight: options.maxInFlight ?? 100,
    history: stored.history,
    asyncCalls,
    metrics,
    readiness: () => ({
      database: stored.databaseOk(),
      activeNodes: nodes.list().filter((node) => node.status === "Active").length,
    }),
  });
  return {
    app,
    nodes,
    history: stored.history,
    asyncCalls,
    worker,
    send: (method, path, init = {}) =>
      Promise.resolve(app.fetch(new Request(`http://localhost${path}`, { method, ...init }))),
    addNode(name = "w1", capacity = 0) {
      nodes.register({
        name,
        address: `${name}.local:50052`,
        executor: "fake",
        heartbeatIntervalMs: 1_000,
        capacity: { cpus: 1, memoryBytes: 1024, maxConcurrency: capacity },
      });
    },
    async close() {
      await asyncCalls.stop(0);
      stored.close();
    },
  };
}

/** Parses Prometheus text and returns the families by name. */
export function parseMetrics(text: string): Map<string, PrometheusFamily> {
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
}

/** Polls `check` until it returns something other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
