import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RemoteCallError,
  startClusterServer,
  WorkerClient,
  type ClusterServer,
} from "@cares/shared";
import { FakeExecutor } from "../src/executor/fake-executor.js";
import { ExecutionService } from "../src/grpc/execution-service.js";
import { collectingLogger, executionRequest } from "./support/fixtures.js";

const request = executionRequest;

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("ExecutionService served over gRPC", () => {
  const fake = new FakeExecutor({
    "cares/fail": { stderr: "fail: this function always fails\n", exitCode: 3 },
    "cares/sleep": { delayMs: 5_000 },
  });
  const { log, records } = collectingLogger();
  const service = new ExecutionService(fake, () => "grpc-node", log);
  let server: ClusterServer;
  let client: WorkerClient;

  beforeAll(async () => {
    server = await startClusterServer(service.handlers(), "127.0.0.1", 0);
    client = new WorkerClient(`127.0.0.1:${server.port}`);
  });

  afterAll(async () => {
    client.close();
    await server.close(0);
  });

  const messagesOf = (invocationId: string) =>
    records.filter((r) => r.fields.invocation === invocationId).map((r) => r.message);

  it("carries text output, exit code and standard error to the caller", async () => {
    const call = request("cares/fail");
    const result = await client.execute(call, 5_000);
    expect(result).toMatchObject({
      outcome: "failed",
      exitCode: 3,
      stderr: "fail: this function always fails\n",
      nodeName: "grpc-node",
    });
  });

  it("carries a 2 MiB binary payload both ways intact", async () => {
    const payload = randomBytes(2 * 1024 * 1024);
    const result = await client.execute(request("cares/echo", { stdin: payload }), 10_000);
    expect(result.outcome).toBe("succeeded");
    expect(result.stdout.equals(payload)).toBe(true);
  });

  it("cancels the running call when the caller aborts", async () => {
    const call = request("cares/sleep", { timeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = client.execute(call, 10_000, controller.signal);
    await until(() => service.running === 1);
    controller.abort();
    const failure = await pending.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RemoteCallError);
    expect((failure as RemoteCallError).code).toBe("cancelled");
    await until(() => service.running === 0);
    expect(messagesOf(call.invocationId)).toEqual([
      "Received execution request for image 'cares/sleep'.",
      "Starting container for image 'cares/sleep'...",
      "Call cancelled by the orchestrator; container stopped.",
    ]);
  });

  it("cancels the running call when the caller's deadline passes", async () => {
    const call = request("cares/sleep", { timeoutMs: 10_000 });
    const failure = await client.execute(call, 300).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((failure as RemoteCallError).code).toBe("worker_timeout");
    await until(() => service.running === 0, 3_000);
    expect(messagesOf(call.invocationId).at(-1)).toBe(
      "Call cancelled by the orchestrator; container stopped.",
    );
  });
});
