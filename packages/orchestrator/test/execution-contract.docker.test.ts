// The execution contract on the real Docker engine: input, output, settings, limits,
// timeouts, cancellation and clean-up. Needs the engine and the sample images
// (scripts/ensure-engine.sh); without them these tests fail.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  registerFunction,
  startOrchestrator,
  startWorker,
  type OrchestratorProcess,
  type WorkerProcess,
} from "./support/processes.js";
import { callContainers, requireImages } from "./support/containers.js";

const WORKER = `contract-${randomUUID().slice(0, 8)}`;

const ourContainers = () => callContainers(WORKER);

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let orchestrator: OrchestratorProcess;
let worker: WorkerProcess;

const shell = (name: string, script: string, settings: Record<string, unknown> = {}) =>
  registerFunction(orchestrator.httpUrl, {
    name,
    image: "cares/shell",
    ...settings,
    env: { SCRIPT: script, ...((settings.env as object) ?? {}) },
  });

beforeAll(async () => {
  requireImages("cares/echo", "cares/shell", "cares/sleep");
  orchestrator = await startOrchestrator(["--max-body-bytes", String(1024 * 1024)]);
  worker = await startWorker(orchestrator.grpcAddress, ["--executor", "docker", "--name", WORKER]);
  await registerFunction(orchestrator.httpUrl, { name: "echo", image: "cares/echo" });
  await registerFunction(orchestrator.httpUrl, {
    name: "json-echo",
    image: "cares/echo",
    contentType: "application/json",
  });
  await shell(
    "request-env",
    'echo "$HTTP_METHOD|$HTTP_PATH|$HTTP_QUERY|$HTTP_CONTENT_TYPE|$GREETING"',
    {
      env: { GREETING: "hi" },
    },
  );
  await shell("chatty", "head -c 5000 /dev/zero | tr '\\0' x", { maxOutput: 1000 });
  await registerFunction(orchestrator.httpUrl, {
    name: "slow",
    image: "cares/sleep",
    timeout: "1s",
    env: { SLEEP_SECONDS: "30" },
  });
  await registerFunction(orchestrator.httpUrl, {
    name: "slow-30",
    image: "cares/sleep",
    env: { SLEEP_SECONDS: "30" },
  });
  await shell("hog", "head -c 300m /dev/zero | tail > /dev/null", { memory: "32Mi" });
  await shell("net-off", "cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '");
  await shell("net-on", "cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '", { network: true });
  await shell(
    "confined",
    "touch /root-file 2>/dev/null && echo root-writable || echo root-read-only; " +
      "touch /tmp/x && echo tmp-writable; grep CapEff /proc/self/status; " +
      "grep NoNewPrivs /proc/self/status; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
  );
  await registerFunction(orchestrator.httpUrl, {
    name: "never-pull",
    image: "127.0.0.1:9/cares/absent:1",
    pull: "never",
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await orchestrator?.stop();
});

const call = (name: string, init: RequestInit = {}, path = "") =>
  fetch(`${orchestrator.httpUrl}/invoke/${name}${path}`, { method: "POST", ...init });

describe("input and output", () => {
  it("round-trips binary input byte for byte", async () => {
    const bytes = randomBytes(256 * 1024);
    const response = await call("echo", { body: bytes });

    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it("tells the function the method, path, query and content type", async () => {
    const response = await call(
      "request-env",
      { method: "PUT", headers: { "content-type": "application/x-test" } },
      "/items/42?color=red&size=2",
    );

    expect(await response.text()).toBe("PUT|/items/42|color=red&size=2|application/x-test|hi\n");
  });

  it("answers with the function's content type", async () => {
    const response = await call("json-echo", { body: '{"a":1}' });

    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ a: 1 });
  });

  it("gives the JSON envelope to callers that accept JSON", async () => {
    const response = await call("echo", { body: "hello", headers: { accept: "application/json" } });

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      function: "echo",
      node: WORKER,
      outcome: "succeeded",
      exitCode: 0,
      output: "hello",
      outputEncoding: "utf8",
      outputTruncated: false,
      stderr: "",
      invocationId: response.headers.get("x-cares-invocation-id"),
    });
  });

  it("cuts output at the function's cap and says so", async () => {
    const response = await call("chatty");

    expect(response.status).toBe(200);
    expect(response.headers.get("x-cares-output-truncated")).toBe("true");
    expect(await response.text()).toBe("x".repeat(1000));
  });

  it("refuses a body over the limit with 413 before anything runs", async () => {
    const response = await call("echo", { body: Buffer.alloc(1024 * 1024 + 1) });

    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: "payload_too_large" });
  });
});

describe("limits and confinement", () => {
  it("gives a container no network unless the function asks for one", async () => {
    expect(await (await call("net-off")).text()).toBe("lo\n");
    expect((await (await call("net-on")).text()).split("\n")).toContain("eth0");
  });

  it("runs without privileges, on a read-only root with a writable /tmp and a pids limit", async () => {
    const text = await (await call("confined")).text();

    expect(text).toBe(
      "root-read-only\ntmp-writable\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n256\n",
    );
  });

  it("fails a function that allocates past its memory limit cleanly", async () => {
    const response = await call("hog");

    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; exitCode: number; message: string };
    expect(body.error).toBe("function_failed");
    expect(body.exitCode).toBe(137);
    expect(body.message).toContain("memory limit");
  });

  it("answers 502 naming the image when the pull policy forbids pulling it", async () => {
    const response = await call("never-pull");

    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      error: "image_unavailable",
      message:
        "image '127.0.0.1:9/cares/absent:1' is not on this worker, and the function's pull policy is 'never'",
    });
  });
});

describe("time and cancellation", () => {
  it("answers 504 when the timeout passes, and the container is gone", async () => {
    const started = Date.now();
    const response = await call("slow");

    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ error: "function_timeout" });
    expect(Date.now() - started).toBeLessThan(10_000);
    await eventually(() => ourContainers().length === 0);
  });

  it("kills and removes the container when the caller hangs up", async () => {
    const controller = new AbortController();
    const pending = call("slow-30", { signal: controller.signal }).catch((error: Error) => error);
    await eventually(() => ourContainers().length === 1);

    controller.abort();

    expect(await pending).toBeInstanceOf(Error);
    await eventually(() => ourContainers().length === 0);
    await worker.waitForLog("Call cancelled by the orchestrator");
  });
});

describe("after the suite", () => {
  it("leaves no container of this worker behind", async () => {
    await eventually(() => ourContainers().length === 0);
  });
});
