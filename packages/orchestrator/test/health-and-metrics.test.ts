// /readyz, /metrics read with a Prometheus text parser, and the limit on calls in flight.
import { Logger } from "@cares/shared";
import { afterEach, describe, expect, it } from "vitest";
import { startOrchestrator, type RunningOrchestrator } from "../src/orchestrator.js";
import { createTestApp, okResult, parseMetrics, type TestApp } from "./support/in-process.js";

let t: TestApp | undefined;
let running: RunningOrchestrator | undefined;
afterEach(async () => {
  await t?.close();
  await running?.stop();
  t = running = undefined;
});

async function registerEcho(app: TestApp): Promise<void> {
  const response = await app.send("POST", "/functions", {
    body: JSON.stringify({ name: "echo", image: "cares/echo" }),
  });
  expect(response.status).toBe(201);
}

describe("GET /readyz", () => {
  it("is 503 until a node is Active, then 200", async () => {
    t = createTestApp();
    const before = await t.send("GET", "/readyz");
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({
      error: "not_ready",
      checks: { database: "ok", activeNodes: 0 },
    });

    t.addNode();
    const after = await t.send("GET", "/readyz");
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({
      status: "ready",
      checks: { database: "ok", activeNodes: 1 },
    });
  });

  it("is 503 when the database is closed", async () => {
    t = createTestApp();
    t.addNode();
    await t.close();
    const response = await t.send("GET", "/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ checks: { database: "failed" } });
    t = undefined;
  });
});

describe("GET /metrics", () => {
  it("counts calls by function and outcome, their durations, decisions and nodes", async () => {
    t = createTestApp();
    await registerEcho(t);
    await t.send("POST", "/invoke/echo");
    t.addNode("w1");
    t.addNode("w2");
    t.nodes.markInactive(t.nodes.findByName("w2")!.id, "test");
    await t.send("POST", "/invoke/echo");
    await t.send("POST", "/invoke/echo");
    t.worker.answer = async () => okResult({ outcome: "failed", exitCode: 1 });
    await t.send("POST", "/invoke/echo");
    await t.send("POST", "/invoke/nope");

    const response = await t.send("GET", "/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const families = parseMetrics(text);

    const calls = families.get("cares_invocations_total")!;
    expect(calls.type).toBe("COUNTER");
    const count = (labels: Record<string, string>) =>
      Number(
        calls.metrics.find((m) => JSON.stringify(m.labels) === JSON.stringify(labels))?.value ?? 0,
      );
    expect(count({ function: "echo", outcome: "succeeded" })).toBe(2);
    expect(count({ function: "echo", outcome: "failed" })).toBe(1);
    expect(count({ function: "echo", outcome: "no_active_node" })).toBe(1);
    expect(count({ function: "_unknown", outcome: "function_not_found" })).toBe(1);

    const durations = families.get("cares_invocation_duration_seconds")!;
    expect(durations.type).toBe("HISTOGRAM");
    // Limitation: the parser folds the series of a labelled histogram into one, so the
    // count of each series is read from its `_count` line.
    expect(text).toMatch(
      /^cares_invocation_duration_seconds_count\{function="echo",outcome="succeeded"\} 2$/m,
    );

    const decisions = families.get("cares_scheduling_decisions_total")!;
    expect(decisions.metrics).toEqual([{ labels: { node: "w1" }, value: "3" }]);

    const nodes = families.get("cares_nodes")!;
    expect(nodes.type).toBe("GAUGE");
    expect(nodes.metrics).toEqual(
      expect.arrayContaining([
        { labels: { status: "Active" }, value: "1" },
        { labels: { status: "Inactive" }, value: "1" },
      ]),
    );
    expect(families.get("cares_invocations_in_flight")!.metrics[0]!.value).toBe("0");
    expect(families.get("cares_functions")!.metrics[0]!.value).toBe("1");
    expect(families.has("cares_orchestrator_process_cpu_seconds_total")).toBe(true);
  });

  it("shows the calls in flight while they run", async () => {
    t = createTestApp();
    await registerEcho(t);
    t.addNode();
    let release!: () => void;
    t.worker.answer = () => new Promise((resolve) => (release = () => resolve(okResult())));
    const call = t.send("POST", "/invoke/echo");
    await new Promise((resolve) => setTimeout(resolve, 50));

    const during = parseMetrics(await (await t.send("GET", "/metrics")).text());
    expect(during.get("cares_invocations_in_flight")!.metrics[0]!.value).toBe("1");
    release();
    expect((await call).status).toBe(200);
  });
});

describe("limits against abuse", () => {
  it("answers 429 past the calls in flight, and takes calls again once they end", async () => {
    t = createTestApp({ maxInFlight: 2 });
    await registerEcho(t);
    t.addNode();
    const releases: Array<() => void> = [];
    t.worker.answer = () => new Promise((resolve) => releases.push(() => resolve(okResult())));
    const first = [t.send("POST", "/invoke/echo"), t.send("POST", "/invoke/echo")];
    await new Promise((resolve) => setTimeout(resolve, 50));

    const third = await t.send("POST", "/invoke/echo");
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("1");
    expect(await third.json()).toMatchObject({ error: "too_many_requests", limit: 2 });

    for (const release of releases.splice(0)) release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    t.worker.answer = async () => okResult();
    expect((await t.send("POST", "/invoke/echo")).status).toBe(200);
  });

  it("answers 431 to a request head past --max-header-bytes", async () => {
    running = await startOrchestrator({
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      maxBodyBytes: 1024,
      maxHeaderBytes: 2048,
      log: new Logger(() => {}),
    });
    const url = `http://127.0.0.1:${running.httpPort}/healthz`;
    expect((await fetch(url, { headers: { "x-pad": "a".repeat(1000) } })).status).toBe(200);
    expect((await fetch(url, { headers: { "x-pad": "a".repeat(4000) } })).status).toBe(431);
  });
});
