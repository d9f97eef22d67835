// End to end on the real Docker engine: curl-equivalent calls through a real
// orchestrator and a real worker that runs the sample images. Needs the engine and the
// sample images (scripts/ensure-engine.sh); without them these tests fail.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  registerFunction,
  startOrchestrator,
  startWorker,
  type OrchestratorProcess,
  type WorkerProcess,
} from "./support/processes.js";
import { callContainers, requireImages } from "./support/containers.js";

const WORKER = `docker-${randomUUID().slice(0, 8)}`;

const ourContainers = () => callContainers(WORKER);

let orchestrator: OrchestratorProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  requireImages("cares/hello-world", "cares/echo", "cares/fail");
  orchestrator = await startOrchestrator();
  worker = await startWorker(orchestrator.grpcAddress, ["--executor", "docker", "--name", WORKER]);
  for (const [name, image] of [
    ["my-test-func", "cares/hello-world"],
    ["echo", "cares/echo"],
    ["fail", "cares/fail"],
    ["missing", "127.0.0.1:9/cares/missing:latest"],
  ]) {
    await registerFunction(orchestrator.httpUrl, { name, image });
  }
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await orchestrator?.stop();
});

const invoke = (name: string, body?: string | Uint8Array) =>
  fetch(`${orchestrator.httpUrl}/invoke/${name}`, { method: "POST", body });

describe("the whole path on the Docker engine", () => {
  it("returns exactly what hello-world prints", async () => {
    const response = await invoke("my-test-func");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("x-cares-node")).toBe(WORKER);
    expect(await response.text()).toBe("Hello from Docker!\n");
  });

  it("answers 404 for a function that is not registered", async () => {
    const response = await invoke("not-there");

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: "function_not_found",
      message: "no function named 'not-there' is registered",
      function: "not-there",
    });
  });

  it("answers 500 with the exit code and stderr of a failing container", async () => {
    const response = await invoke("fail");

    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({
      error: "function_failed",
      exitCode: 3,
      stderr: "fail: this function always fails\n",
    });
  });

  it("sends the body to the container's stdin", async () => {
    const response = await invoke("echo", "from stdin\nsecond line");

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("from stdin\nsecond line");
  });

  it("keeps multi-byte UTF-8 output intact", async () => {
    const text = "héllo wörld ✓ 日本語 🚀 ".repeat(500);
    const response = await invoke("echo", text);

    expect(await response.text()).toBe(text);
  });

  it("returns output over 1 MiB intact", async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < payload.length; i++) payload[i] = 32 + (i % 95);
    const response = await invoke("echo", payload);

    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(payload)).toBe(true);
  });

  it("answers 502 naming the image when it is missing and cannot be pulled", async () => {
    const response = await invoke("missing");

    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe("image_unavailable");
    expect(body.message).toContain("127.0.0.1:9/cares/missing:latest");
  });

  it("leaves no CARES container behind", async () => {
    await Promise.all([invoke("my-test-func"), invoke("echo", "x"), invoke("fail")]);

    // Containers are removed just after the answer; give the removals a moment.
    for (let i = 0; i < 50 && ourContainers().length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ourContainers()).toEqual([]);
  });
});

describe("without any worker", () => {
  it("answers 503 with a message a person can act on", async () => {
    const lonely = await startOrchestrator();
    try {
      await registerFunction(lonely.httpUrl, { name: "my-test-func", image: "cares/hello-world" });
      const response = await fetch(`${lonely.httpUrl}/invoke/my-test-func`, { method: "POST" });

      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        error: "no_active_node",
        message: "no worker has registered; start a worker and try again",
      });
    } finally {
      await lonely.stop();
    }
  });
});
