// /metrics of real processes, read with a Prometheus text parser: the orchestrator's on
// its HTTP port, each worker's on a port of its own.
import { describe, expect, it } from "vitest";
import { parseMetrics } from "./support/in-process.js";
import {
  registerFunction,
  startOrchestrator,
  startWorker,
  stopAfterEach,
} from "./support/processes.js";

const track = stopAfterEach();

function valueOf(
  families: ReturnType<typeof parseMetrics>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.get(name);
  const sample = family?.metrics.find((m) =>
    Object.entries(labels).every(([key, value]) => m.labels?.[key] === value),
  );
  return Number(sample?.value ?? NaN);
}

describe("metrics of a running cluster", () => {
  it("counts the same calls on both sides", async () => {
    const orchestrator = track(await startOrchestrator());
    const worker = track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--name", "w1"]),
    );
    const served = await worker.waitForLog("Metrics served on");
    const workerMetrics = `http://127.0.0.1:${served.metricsPort as number}/metrics`;
    await registerFunction(orchestrator.httpUrl, { name: "echo", image: "cares/echo" });
    for (let i = 0; i < 3; i++) {
      await fetch(`${orchestrator.httpUrl}/invoke/echo`, { method: "POST", body: "x" });
    }

    const ours = parseMetrics(await (await fetch(`${orchestrator.httpUrl}/metrics`)).text());
    expect(valueOf(ours, "cares_invocations_total", { outcome: "succeeded" })).toBe(3);
    expect(valueOf(ours, "cares_scheduling_decisions_total", { node: "w1" })).toBe(3);
    expect(valueOf(ours, "cares_nodes", { status: "Active" })).toBe(1);
    expect(valueOf(ours, "cares_invocations_in_flight")).toBe(0);

    const response = await fetch(workerMetrics);
    expect(response.status).toBe(200);
    const theirs = parseMetrics(await response.text());
    expect(valueOf(theirs, "cares_worker_executions_total", { outcome: "succeeded" })).toBe(3);
    expect(theirs.get("cares_worker_engine_errors_total")?.type).toBe("COUNTER");
    expect(theirs.get("cares_worker_container_start_seconds")?.type).toBe("HISTOGRAM");
    expect(valueOf(theirs, "cares_worker_executions_running")).toBe(0);
    expect(theirs.has("cares_worker_process_resident_memory_bytes")).toBe(true);
  });

  it("serves no worker metrics with --metrics-port -1", async () => {
    const orchestrator = track(await startOrchestrator());
    const worker = track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--metrics-port", "-1"]),
    );
    expect(worker.lines.some((line) => line.msg.startsWith("Metrics served on"))).toBe(false);
  });
});
