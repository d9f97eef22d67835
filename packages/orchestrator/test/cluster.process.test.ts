// The orchestrator and workers as real processes, with the fake executor: the whole
// path of a call, node health and restarts, without a container engine.
import { afterAll, describe, expect, it } from "vitest";
import {
  launch,
  registerFunction,
  startOrchestrator,
  startWorker,
  waitForNodes,
  freePort,
  stopAfterEach,
} from "./support/processes.js";
import { FakeRulesFolder } from "./support/fake-rules.js";

const track = stopAfterEach();

const rulesFolder = new FakeRulesFolder();
afterAll(() => rulesFolder.remove());
const fakeRules = (rules: Record<string, unknown>) => rulesFolder.write(rules);

const invoke = (url: string, name: string, body?: string) =>
  fetch(`${url}/invoke/${name}`, { method: "POST", body });

describe("a cluster of real processes with the fake executor", () => {
  it("runs a call on a worker and tells the story on both sides, in order", async () => {
    const orchestrator = track(await startOrchestrator());
    const worker = track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--name", "w1"]),
    );
    await registerFunction(orchestrator.httpUrl, { name: "echo", image: "cares/echo" });

    const response = await invoke(orchestrator.httpUrl, "echo", "ping ✓");

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ping ✓");
    expect(response.headers.get("x-cares-node")).toBe("w1");
    const invocation = response.headers.get("x-cares-invocation-id");
    expect(invocation).toMatch(/^[0-9a-f-]{36}$/);

    await worker.waitForLog("Container finished.");
    const told = orchestrator.lines.filter((l) => l.invocation === invocation).map((l) => l.msg);
    expect(told).toEqual([
      "Received invocation for 'echo'.",
      "Selecting optimal node from 1 active candidates...",
      "Node 'w1' selected with lowest cost.",
      "Dispatching job to 'w1'...",
      "Job complete. Received result from worker.",
    ]);
    const workerTold = worker.lines.filter((l) => l.invocation === invocation).map((l) => l.msg);
    expect(workerTold).toEqual([
      "Received execution request for image 'cares/echo'.",
      "Starting container for image 'cares/echo'...",
      "Container finished. Sending result back to Orchestrator.",
    ]);
  });

  it("answers 503 while no worker has registered, and 200 once one has", async () => {
    const orchestrator = track(await startOrchestrator());
    await registerFunction(orchestrator.httpUrl, { name: "hello", image: "cares/hello-world" });

    const before = await invoke(orchestrator.httpUrl, "hello");
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ error: "no_active_node" });

    const rules = fakeRules({ "cares/hello-world": { stdout: "Hello from Docker!\n" } });
    track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--fake-rules", rules]),
    );
    const after = await invoke(orchestrator.httpUrl, "hello");
    expect(after.status).toBe(200);
    expect(await after.text()).toBe("Hello from Docker!\n");
  });

  it("gives 500 with the exit code and stderr when the function exits non-zero", async () => {
    const orchestrator = track(await startOrchestrator());
    const rules = fakeRules({ "cares/fail": { exitCode: 3, stderr: "boom\n", stdout: "" } });
    track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--fake-rules", rules]),
    );
    await registerFunction(orchestrator.httpUrl, { name: "fail", image: "cares/fail" });

    const response = await invoke(orchestrator.httpUrl, "fail");

    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({
      error: "function_failed",
      exitCode: 3,
      stderr: "boom\n",
    });
  });

  it("keeps retrying registration until the orchestrator comes up", async () => {
    const grpcPort = await freePort();
    const worker = track(
      await startWorker(`127.0.0.1:${grpcPort}`, ["--executor", "fake"], {
        waitForRegistration: false,
      }),
    );
    await worker.waitForLog("not reachable; retrying");

    const orchestrator = track(await startOrchestrator(["--grpc-port", String(grpcPort)]));
    await worker.waitForLog("Registered with orchestrator");
    await waitForNodes(orchestrator.httpUrl, (nodes) => nodes.some((n) => n.status === "Active"));
  });

  it("re-registers by itself after the orchestrator restarts", async () => {
    const first = track(await startOrchestrator());
    const grpcPort = first.grpcAddress.split(":")[1]!;
    const worker = track(
      await startWorker(first.grpcAddress, ["--executor", "fake", "--name", "w1"]),
    );
    await first.stop("SIGKILL");

    const second = track(await startOrchestrator(["--grpc-port", grpcPort]));
    await worker.waitForLog("registering again");
    const nodes = await waitForNodes(second.httpUrl, (list) => list.length === 1);
    expect(nodes[0]).toMatchObject({ name: "w1", status: "Active" });
  });

  it("turns a silent node Inactive after three missed heartbeats and Active when it speaks again", async () => {
    const orchestrator = track(await startOrchestrator());
    const worker = track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--name", "w1"]),
    );
    await waitForNodes(orchestrator.httpUrl, (nodes) => nodes[0]?.status === "Active");

    worker.child.kill("SIGSTOP");
    try {
      await waitForNodes(orchestrator.httpUrl, (nodes) => nodes[0]?.status === "Inactive", 5_000);
      const response = await invoke(orchestrator.httpUrl, "anything");
      expect(response.status).toBe(404);
    } finally {
      worker.child.kill("SIGCONT");
    }
    await waitForNodes(orchestrator.httpUrl, (nodes) => nodes[0]?.status === "Active", 5_000);
    await orchestrator.waitForLog("Node 'w1' is Active again.");
  });

  it("answers 502 when the chosen worker died, and marks it Inactive at once", async () => {
    const orchestrator = track(await startOrchestrator());
    const worker = track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--name", "w1"]),
    );
    await registerFunction(orchestrator.httpUrl, { name: "echo", image: "cares/echo" });
    await worker.stop("SIGKILL");

    const response = await invoke(orchestrator.httpUrl, "echo", "x");

    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "worker_unreachable", node: "w1" });
    const nodes = await waitForNodes(orchestrator.httpUrl, () => true);
    expect(nodes[0]?.status).toBe("Inactive");
  });

  it("spreads nothing onto an Inactive node when several workers share the machine", async () => {
    const orchestrator = track(await startOrchestrator());
    const a = track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--name", "a"]),
    );
    track(await startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--name", "b"]));
    await registerFunction(orchestrator.httpUrl, { name: "echo", image: "cares/echo" });
    await waitForNodes(
      orchestrator.httpUrl,
      (nodes) => nodes.filter((n) => n.status === "Active").length === 2,
    );
    a.child.kill("SIGSTOP");
    try {
      await waitForNodes(
        orchestrator.httpUrl,
        (nodes) => nodes.find((n) => n.name === "a")?.status === "Inactive",
        5_000,
      );
      for (let i = 0; i < 5; i++) {
        const response = await invoke(orchestrator.httpUrl, "echo", String(i));
        expect(response.headers.get("x-cares-node")).toBe("b");
      }
    } finally {
      a.child.kill("SIGCONT");
    }
  });

  it("exits 1 with one clear line when a port is taken", async () => {
    const first = track(await startOrchestrator());
    const httpPort = new URL(first.httpUrl).port;
    const second = track(launch("orchestrator", ["--http-port", httpPort, "--grpc-port", "0"]));

    expect(await second.exited).toBe(1);
    expect(second.stderr).toEqual([
      `orchestrator: HTTP port ${httpPort} on 127.0.0.1 is already in use`,
    ]);
  });
});
