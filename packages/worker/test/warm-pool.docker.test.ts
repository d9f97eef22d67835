// Containers created ahead of time, on the real engine: made after a call, used by the
// next call that would create the same container, removed when idle or on close.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerExecutor } from "../src/executor/docker/docker-executor.js";
import {
  SOCKET_PATH,
  containersOf,
  removeContainersOf,
  requireEngine,
  uniqueWorkerName,
} from "./support/docker-engine.js";
import { collectingLogger, executionRequest } from "./support/fixtures.js";

const names: string[] = [];
beforeAll(requireEngine);
afterAll(async () => {
  for (const name of names) await removeContainersOf(name);
});

function executor(idleMs = 60_000) {
  const workerName = uniqueWorkerName();
  names.push(workerName);
  const { log, records } = collectingLogger();
  const docker = new DockerExecutor({
    socketPath: SOCKET_PATH,
    workerName,
    defaultTimeoutMs: 10_000,
    log,
    warmPoolSize: 1,
    warmPoolIdleMs: idleMs,
  });
  return { docker, workerName, records };
}

async function pooled(workerName: string): Promise<string[]> {
  const containers = await containersOf(workerName);
  return containers.filter((c) => c.Labels["org.cares.invocation"] === "pooled").map((c) => c.Id);
}

async function eventually<T>(read: () => Promise<T>, test: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`never matched: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const signal = () => new AbortController().signal;

describe("the warm pool", () => {
  it("creates a container after a call and runs the next identical call in it", async () => {
    const { docker, workerName, records } = executor();
    try {
      const first = await docker.run(executionRequest("cares/hello-world"), signal());
      expect(first.stdout.toString()).toBe("Hello from Docker!\n");
      const [ready] = await eventually(
        () => pooled(workerName),
        (ids) => ids.length === 1,
      );

      const second = await docker.run(executionRequest("cares/hello-world"), signal());

      expect(second.stdout.toString()).toBe("Hello from Docker!\n");
      expect(
        records.some((r) => r.message.includes(`runs in container ${ready!.slice(0, 12)}`)),
      ).toBe(true);
      const after = await eventually(
        () => pooled(workerName),
        (ids) => ids.length === 1 && ids[0] !== ready,
      );
      expect(after).not.toContain(ready);
    } finally {
      await docker.close();
      await docker.cleanUp();
    }
  });

  it("never hands a container made for other settings to a call", async () => {
    const { docker, workerName } = executor();
    try {
      await docker.run(executionRequest("cares/shell", { env: { SCRIPT: "echo one" } }), signal());
      const [ready] = await eventually(
        () => pooled(workerName),
        (ids) => ids.length === 1,
      );

      const other = await docker.run(
        executionRequest("cares/shell", { env: { SCRIPT: "echo two" } }),
        signal(),
      );

      expect(other.stdout.toString()).toBe("two\n");
      expect(await pooled(workerName)).toContain(ready);
    } finally {
      await docker.close();
      await docker.cleanUp();
    }
  });

  it("removes a container that waited past the idle time, and every one on close", async () => {
    const { docker, workerName } = executor(300);
    try {
      await docker.run(executionRequest("cares/hello-world"), signal());
      await eventually(
        () => pooled(workerName),
        (ids) => ids.length === 1,
      );
      await eventually(
        () => pooled(workerName),
        (ids) => ids.length === 0,
      );

      await docker.run(executionRequest("cares/echo"), signal());
      await eventually(
        () => pooled(workerName),
        (ids) => ids.length === 1,
      );
    } finally {
      await docker.close();
    }
    expect(await pooled(workerName)).toEqual([]);
  });
});
