// Kill -9 the orchestrator, start it again on the same data folder: nothing is lost.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  freshDataDir,
  registerFunction,
  startOrchestrator,
  startWorker,
  waitForNodes,
  type OrchestratorProcess,
  stopAfterEach,
} from "./support/processes.js";

const track = stopAfterEach();

function fakeRules(rules: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(tmpdir(), "cares-fake-")), "rules.json");
  writeFileSync(file, JSON.stringify(rules));
  return file;
}

/** Starts an orchestrator on `dataDir`, on the gRPC port of `previous` when given. */
async function orchestratorOn(dataDir: string, previous?: OrchestratorProcess) {
  const port = previous ? ["--grpc-port", previous.grpcAddress.split(":")[1]!] : [];
  return track(await startOrchestrator(["--data-dir", dataDir, ...port]));
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function pollInvocation(
  httpUrl: string,
  id: string,
  until: (status: string) => boolean,
  timeoutMs = 15_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    last = await getJson(`${httpUrl}/invocations/${id}`);
    if (until(last.status as string)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`invocation ${id} never got there; last: ${JSON.stringify(last)}`);
}

async function invokeAsync(httpUrl: string, name: string, body?: string): Promise<string> {
  const response = await fetch(`${httpUrl}/invoke/${name}`, {
    method: "POST",
    body,
    headers: { prefer: "respond-async" },
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { invocationId: string }).invocationId;
}

describe("an orchestrator killed with SIGKILL and started again", () => {
  it("keeps functions and history; workers are Active within two heartbeats", async () => {
    const dataDir = freshDataDir();
    const first = await orchestratorOn(dataDir);
    const worker = track(
      await startWorker(first.grpcAddress, [
        "--executor",
        "fake",
        "--name",
        "w1",
        "--heartbeat-interval",
        "500",
      ]),
    );
    for (const name of ["echo", "hello", "third"]) {
      await registerFunction(first.httpUrl, { name, image: "cares/echo", timeout: "5s" });
    }
    const call = await fetch(`${first.httpUrl}/invoke/echo`, { method: "POST", body: "hi" });
    expect(call.status).toBe(200);
    const id = call.headers.get("x-cares-invocation-id")!;
    const functionsBefore = await getJson(`${first.httpUrl}/functions`);

    await first.stop("SIGKILL");
    const second = await orchestratorOn(dataDir, first);
    const restartedAt = Date.now();

    await waitForNodes(second.httpUrl, (nodes) => nodes[0]?.status === "Active", 5_000);
    expect(Date.now() - restartedAt).toBeLessThan(2 * 500 + 300);
    expect(worker.child.exitCode).toBeNull();
    await worker.waitForLog("registering again");

    expect(await getJson(`${second.httpUrl}/functions`)).toEqual(functionsBefore);
    expect(await getJson(`${second.httpUrl}/invocations/${id}`)).toMatchObject({
      function: "echo",
      node: "w1",
      status: "succeeded",
      requestBytes: 2,
      responseBytes: 2,
    });
    const again = await fetch(`${second.httpUrl}/invoke/echo`, { method: "POST", body: "x" });
    expect(await again.text()).toBe("x");
  });

  it("keeps every registration it acknowledged, whenever the kill comes", async () => {
    const dataDir = freshDataDir();
    let orchestrator = await orchestratorOn(dataDir);
    const acknowledged: string[] = [];
    for (let round = 0; round < 3; round++) {
      const writer = (async () => {
        for (let i = 0; ; i++) {
          const name = `f-${round}-${i}`;
          const response = await fetch(`${orchestrator.httpUrl}/functions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name, image: "cares/echo" }),
          }).catch(() => undefined);
          if (!response) return;
          if (response.status === 201) acknowledged.push(name);
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 150 + round * 100));
      await orchestrator.stop("SIGKILL");
      await writer;
      orchestrator = await orchestratorOn(dataDir);
    }
    const { functions } = (await getJson(`${orchestrator.httpUrl}/functions`)) as {
      functions: Array<{ name: string }>;
    };
    const stored = new Set(functions.map((f) => f.name));
    expect(acknowledged.length).toBeGreaterThan(3);
    expect(acknowledged.filter((name) => !stored.has(name))).toEqual([]);
  });

  it("sends the asynchronous calls it had accepted but not sent", async () => {
    const dataDir = freshDataDir();
    const first = await orchestratorOn(dataDir);
    await registerFunction(first.httpUrl, { name: "echo", image: "cares/echo" });
    const id = await invokeAsync(first.httpUrl, "echo", "queued before the crash");
    expect(await getJson(`${first.httpUrl}/invocations/${id}`)).toMatchObject({
      status: "queued",
    });

    await first.stop("SIGKILL");
    const second = await orchestratorOn(dataDir, first);
    track(await startWorker(second.grpcAddress, ["--executor", "fake", "--name", "w1"]));

    const done = await pollInvocation(second.httpUrl, id, (status) => status === "succeeded");
    expect(done).toMatchObject({
      node: "w1",
      result: { output: "queued before the crash", outputEncoding: "utf8" },
    });
  });

  it("marks lost the asynchronous calls that were running", async () => {
    const dataDir = freshDataDir();
    const first = await orchestratorOn(dataDir);
    const rules = fakeRules({ "cares/sleep": { stdout: "late\n", delayMs: 20_000 } });
    track(await startWorker(first.grpcAddress, ["--executor", "fake", "--fake-rules", rules]));
    await registerFunction(first.httpUrl, { name: "sleepy", image: "cares/sleep" });
    const id = await invokeAsync(first.httpUrl, "sleepy");
    await pollInvocation(first.httpUrl, id, (status) => status === "running");

    await first.stop("SIGKILL");
    const second = await orchestratorOn(dataDir, first);

    expect(await getJson(`${second.httpUrl}/invocations/${id}`)).toMatchObject({
      status: "lost",
      error: { code: "lost" },
    });
    await second.waitForLog("Resumed after restart");
  });
});
