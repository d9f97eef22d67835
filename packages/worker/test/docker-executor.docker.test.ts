import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CaresError } from "@cares/shared";
import { DockerExecutor, LABELS } from "../src/executor/docker/docker-executor.js";
import {
  containersLeftAfter,
  containersOf,
  engine,
  removeContainersOf,
  requireEngine,
  SOCKET_PATH,
  uniqueWorkerName,
} from "./support/docker-engine.js";
import { collectingLogger, executionRequest } from "./support/fixtures.js";

const run = promisify(execFile);

/** On a loopback port where nothing listens, so a pull fails without leaving the machine. */
const UNPULLABLE_IMAGE = "127.0.0.1:9/cares/missing:latest";

const request = executionRequest;

const never = () => new AbortController().signal;

/** Polls until `read` gives a value other than undefined, or fails after `ms`. */
async function eventually<T>(read: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`nothing turned up within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("DockerExecutor on the local engine", () => {
  const workerName = uniqueWorkerName();
  const otherWorker = uniqueWorkerName();
  const { log, records } = collectingLogger();
  const executor = new DockerExecutor({
    socketPath: SOCKET_PATH,
    workerName,
    defaultTimeoutMs: 10_000,
    log,
  });

  beforeAll(requireEngine);

  afterEach(async () => {
    const left = await containersLeftAfter(workerName);
    await removeContainersOf(workerName);
    expect(
      left.map((c) => c.Id),
      "containers left behind by the run",
    ).toEqual([]);
  });

  afterAll(async () => {
    await removeContainersOf(otherWorker);
    await executor.close();
  });

  it("answers a ping", async () => {
    await expect(executor.ping()).resolves.toBeUndefined();
  });

  it("labels its containers and runs them without a network", async () => {
    const call = request("cares/sleep", { functionName: "sleepy", env: { SLEEP_SECONDS: "3" } });
    const controller = new AbortController();
    const result = executor.run(call, controller.signal);

    const info = await eventually(async () => (await containersOf(workerName))[0]);
    const details = await engine.getContainer(info.Id).inspect();
    controller.abort();

    expect(details.Config.Labels).toMatchObject({
      [LABELS.managed]: "true",
      [LABELS.worker]: workerName,
      [LABELS.function]: "sleepy",
      [LABELS.invocation]: call.invocationId,
    });
    expect(details.HostConfig.NetworkMode).toBe("none");
    expect(details.Config.Tty).toBe(false);
    expect(details.Config.Env).toContain("SLEEP_SECONDS=3");
    expect((await result).outcome).toBe("cancelled");
  }, 30_000);

  it.each([
    ["a call that succeeds", "cares/hello-world", 0, "succeeded"],
    ["a call that fails", "cares/fail", 0, "failed"],
    ["a call that times out", "cares/sleep", 500, "timed-out"],
  ] as const)(
    "removes the container after %s",
    async (_, image, timeoutMs, outcome) => {
      const result = await executor.run(request(image, { timeoutMs }), never());
      expect(result.outcome).toBe(outcome);
      expect(await containersLeftAfter(workerName)).toEqual([]);
    },
    30_000,
  );

  it("removes the container after a cancelled call", async () => {
    const controller = new AbortController();
    const result = executor.run(request("cares/sleep"), controller.signal);
    await eventually(async () => (await containersOf(workerName))[0]);
    controller.abort();
    expect((await result).outcome).toBe("cancelled");
    expect(await containersLeftAfter(workerName)).toEqual([]);
  }, 30_000);

  it("runs calls at once without mixing their outputs", async () => {
    const inputs = ["first\n", "second\n", "third\n", "fourth\n"].map((t) => t.repeat(5_000));
    const results = await Promise.all(
      inputs.map((text) =>
        executor.run(request("cares/echo", { stdin: Buffer.from(text) }), never()),
      ),
    );
    expect(results.map((r) => r.outcome)).toEqual(inputs.map(() => "succeeded"));
    expect(results.map((r) => r.stdout.toString("utf8"))).toEqual(inputs);
  }, 60_000);

  it("keeps only the first maxOutputBytes of standard output", async () => {
    const small = new DockerExecutor({
      socketPath: SOCKET_PATH,
      workerName,
      defaultTimeoutMs: 10_000,
      log,
      maxOutputBytes: 5,
    });
    const result = await small.run(request("cares/hello-world"), never());
    expect(result.outcome).toBe("succeeded");
    expect(result.stdout.toString("utf8")).toBe("Hello");
  }, 30_000);

  it("keeps only the last maxStderrBytes of standard error", async () => {
    const small = new DockerExecutor({
      socketPath: SOCKET_PATH,
      workerName,
      defaultTimeoutMs: 10_000,
      log,
      maxStderrBytes: 7,
    });
    const result = await small.run(request("cares/fail"), never());
    expect(result.outcome).toBe("failed");
    // The whole line is "fail: this function always fails\n".
    expect(result.stderr).toBe(" fails\n");
  }, 30_000);

  it("cleanUp() removes a leftover container of its worker and leaves others alone", async () => {
    const create = (worker: string) =>
      run("docker", [
        "create",
        "--label",
        `${LABELS.managed}=true`,
        "--label",
        `${LABELS.worker}=${worker}`,
        "cares/sleep",
      ]);
    const mine = (await create(workerName)).stdout.trim();
    const theirs = (await create(otherWorker)).stdout.trim();
    expect((await containersOf(workerName)).map((c) => c.Id)).toEqual([mine]);

    await executor.cleanUp();

    expect(await containersOf(workerName)).toEqual([]);
    expect((await containersOf(otherWorker)).map((c) => c.Id)).toEqual([theirs]);
    expect(records.map((r) => r.message)).toContain("Removed 1 leftover containers.");
  }, 30_000);

  it("reports image-unavailable, naming the image, when a missing image cannot be pulled", async () => {
    const result = await executor.run(request(UNPULLABLE_IMAGE), never());
    expect(result).toMatchObject({ outcome: "image-unavailable", exitCode: -1 });
    expect(result.errorMessage).toContain(`image '${UNPULLABLE_IMAGE}'`);
    expect(result.errorMessage).toContain("could not be pulled");
    expect(records.map((r) => r.message)).toContain(
      `Image '${UNPULLABLE_IMAGE}' is missing; pulling it.`,
    );
  }, 60_000);
});

describe("DockerExecutor without an engine", () => {
  const socketPath = "/tmp/no-such-docker.sock";
  const { log, records } = collectingLogger();
  const executor = new DockerExecutor({
    socketPath,
    workerName: uniqueWorkerName(),
    defaultTimeoutMs: 10_000,
    log,
  });

  it("reports engine-error saying the engine is not reachable", async () => {
    const result = await executor.run(request("cares/hello-world"), never());
    expect(result).toMatchObject({ outcome: "engine-error", exitCode: -1 });
    expect(result.errorMessage).toContain(`the Docker engine is not reachable at ${socketPath}`);
  });

  it("fails a ping with engine_unavailable and the same message", async () => {
    const failure = await executor.ping().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CaresError);
    expect((failure as CaresError).code).toBe("engine_unavailable");
    expect((failure as CaresError).message).toMatch(/not reachable/);
  });

  it("only warns when cleanUp() cannot reach the engine", async () => {
    await expect(executor.cleanUp()).resolves.toBeUndefined();
    expect(records.at(-1)).toMatchObject({ level: "warn" });
    expect(records.at(-1)!.message).toMatch(
      /^Could not look for leftover containers: .*not reachable/,
    );
  });
});
