import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionRequest, ExecutionResult, LogRecord } from "@cares/shared";
import { DockerExecutor } from "../src/executor/docker/docker-executor.js";
import type { Executor } from "../src/executor/executor.js";
import { FakeExecutor, type FakeRule } from "../src/executor/fake-executor.js";
import { ExecutionService } from "../src/grpc/execution-service.js";
import {
  containersLeftAfter,
  removeContainersOf,
  requireEngine,
  SOCKET_PATH,
  uniqueWorkerName,
} from "./support/docker-engine.js";
import { collectingLogger, executionRequest } from "./support/fixtures.js";

/** Fake rules that behave like the sample images. */
const SAMPLE_RULES: Record<string, FakeRule> = {
  "cares/hello-world": { stdout: "Hello from Docker!\n" },
  "cares/echo": {},
  "cares/fail": { stderr: "fail: this function always fails\n", exitCode: 3 },
  "cares/sleep": { delayMs: 5_000, stdout: "slept 5s\n" },
};

interface Flavour {
  name: string;
  needsEngine: boolean;
  create(workerName: string): Executor;
}

const FLAVOURS: Flavour[] = [
  {
    name: "FakeExecutor",
    needsEngine: false,
    create: () => new FakeExecutor(SAMPLE_RULES, 10_000),
  },
  {
    name: "DockerExecutor",
    needsEngine: true,
    create: (workerName) =>
      new DockerExecutor({
        socketPath: SOCKET_PATH,
        workerName,
        defaultTimeoutMs: 10_000,
        log: collectingLogger({ component: "executor" }).log,
      }),
  },
];

const NODE_NAME = "worker-under-test";

describe.each(FLAVOURS)("ExecutionService with $name", (flavour) => {
  const workerName = uniqueWorkerName();
  const { log, records } = collectingLogger({ component: "execution" });
  let executor: Executor;
  let service: ExecutionService;

  beforeAll(async () => {
    if (flavour.needsEngine) await requireEngine();
    executor = flavour.create(workerName);
    service = new ExecutionService(executor, () => NODE_NAME, log);
  });

  afterAll(async () => {
    if (!flavour.needsEngine) return;
    const left = await containersLeftAfter(workerName);
    await removeContainersOf(workerName);
    expect(left).toEqual([]);
  });

  /** Runs one call through the service's gRPC handler, as the server would. */
  async function execute(
    image: string,
    extra: Partial<ExecutionRequest> = {},
    signal = new AbortController().signal,
  ): Promise<{ result: ExecutionResult; lines: LogRecord[] }> {
    const request = executionRequest(image, extra);
    const result = await service.handlers().executeFunction(request, { signal, peer: "test" });
    const lines = records.filter((r) => r.fields.invocation === request.invocationId);
    return { result, lines };
  }

  const narrative = (image: string) => [
    `Received execution request for image '${image}'.`,
    `Starting container for image '${image}'...`,
    "Container finished. Sending result back to Orchestrator.",
  ];

  it("returns hello-world's output, stamped with the node's name", async () => {
    const { result, lines } = await execute("cares/hello-world");
    expect(result).toMatchObject({
      outcome: "succeeded",
      exitCode: 0,
      stderr: "",
      errorMessage: "",
      nodeName: NODE_NAME,
    });
    expect(result.stdout.toString("utf8")).toBe("Hello from Docker!\n");
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(lines.map((r) => r.message)).toEqual(narrative("cares/hello-world"));
    expect(lines.map((r) => r.level)).toEqual(["info", "info", "info"]);
    expect(lines[2]!.fields).toMatchObject({
      image: "cares/hello-world",
      function: "fn",
      outcome: "succeeded",
      exitCode: 0,
    });
  }, 30_000);

  it("gives standard input back through echo", async () => {
    const { result, lines } = await execute("cares/echo", { stdin: Buffer.from("ping\n") });
    expect(result.outcome).toBe("succeeded");
    expect(result.stdout.toString("utf8")).toBe("ping\n");
    expect(lines.map((r) => r.message)).toEqual(narrative("cares/echo"));
  }, 30_000);

  it("gives multi-byte UTF-8 back through echo unchanged", async () => {
    const text = "héllo wörld — 日本語のテキスト 🚀🧪 ∑∞\n".repeat(100);
    const { result } = await execute("cares/echo", { stdin: Buffer.from(text, "utf8") });
    expect(result.outcome).toBe("succeeded");
    expect(result.stdout.toString("utf8")).toBe(text);
  }, 30_000);

  it("gives a 2 MiB binary payload back through echo byte for byte", async () => {
    const payload = randomBytes(2 * 1024 * 1024);
    const { result, lines } = await execute("cares/echo", { stdin: payload });
    expect(result.outcome).toBe("succeeded");
    expect(result.stdout.length).toBe(payload.length);
    expect(result.stdout.equals(payload)).toBe(true);
    expect(lines.map((r) => r.message)).toEqual(narrative("cares/echo"));
  }, 60_000);

  it("reports fail as failed with exit code 3 and its standard error", async () => {
    const { result, lines } = await execute("cares/fail");
    expect(result).toMatchObject({ outcome: "failed", exitCode: 3, nodeName: NODE_NAME });
    expect(result.stderr).toBe("fail: this function always fails\n");
    expect(result.stdout.length).toBe(0);
    expect(lines.map((r) => r.message)).toEqual(narrative("cares/fail"));
    expect(lines[2]!.fields).toMatchObject({ outcome: "failed", exitCode: 3 });
  }, 30_000);

  it("stops a call that runs past its timeout and reports timed-out", async () => {
    const started = Date.now();
    const { result, lines } = await execute("cares/sleep", { timeoutMs: 1_000 });
    expect(result).toMatchObject({ outcome: "timed-out", exitCode: -1, nodeName: NODE_NAME });
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(result.durationMs).toBeGreaterThanOrEqual(900);
    expect(lines.map((r) => r.message).slice(0, 2)).toEqual(narrative("cares/sleep").slice(0, 2));
    expect(lines).toHaveLength(3);
    expect(lines[2]!.level).toBe("warn");
    expect(lines[2]!.message).toBe(
      "Container stopped at its timeout. Sending result back to Orchestrator.",
    );
    expect(lines[2]!.fields.outcome).toBe("timed-out");
  }, 30_000);

  it("stops a call whose signal is aborted and reports cancelled", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = execute("cares/sleep", { timeoutMs: 10_000 }, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(service.running).toBe(1);
    controller.abort();
    const { result, lines } = await running;
    expect(service.running).toBe(0);
    expect(result).toMatchObject({ outcome: "cancelled", exitCode: -1, nodeName: NODE_NAME });
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(lines.map((r) => r.message)).toEqual([
      ...narrative("cares/sleep").slice(0, 2),
      "Call cancelled by the orchestrator; container stopped.",
    ]);
    expect(lines[2]!.level).toBe("warn");
  }, 30_000);

  it("reports cancelled without running anything when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const { result, lines } = await execute("cares/hello-world", {}, controller.signal);
    expect(result).toMatchObject({ outcome: "cancelled", exitCode: -1 });
    expect(result.stdout.length).toBe(0);
    expect(lines.map((r) => r.message)).toEqual([
      ...narrative("cares/hello-world").slice(0, 2),
      "Call cancelled by the orchestrator; container stopped.",
    ]);
  }, 30_000);

  it("passes the request's environment to the function", async () => {
    if (executor instanceof FakeExecutor) executor.setRule("cares/sleep", { stdout: "slept 0s\n" });
    const { result } = await execute("cares/sleep", { env: { SLEEP_SECONDS: "0" } });
    if (executor instanceof FakeExecutor)
      executor.setRule("cares/sleep", SAMPLE_RULES["cares/sleep"]!);
    expect(result.outcome).toBe("succeeded");
    expect(result.stdout.toString("utf8")).toBe("slept 0s\n");
  }, 30_000);

  it("counts no running calls once every call has ended", () => {
    expect(service.running).toBe(0);
  });
});
