import { randomBytes } from "node:crypto";
import Docker from "dockerode";

/** The local engine's socket; the only Docker endpoint these tests talk to. */
export const SOCKET_PATH = "/var/run/docker.sock";

export const engine = new Docker({ socketPath: SOCKET_PATH });

/** Throws, so that the suite fails rather than skips, when the engine does not answer. */
export async function requireEngine(): Promise<void> {
  try {
    await engine.ping();
  } catch (error) {
    throw new Error("Docker engine not running: run scripts/ensure-engine.sh", { cause: error });
  }
}

/** A worker name no other test run uses, so label filters see only this test's containers. */
export function uniqueWorkerName(): string {
  return `test-${randomBytes(4).toString("hex")}`;
}

/** Every container, running or not, labelled as belonging to `workerName`. */
export function containersOf(workerName: string): Promise<Docker.ContainerInfo[]> {
  return engine.listContainers({
    all: true,
    filters: { label: ["org.cares.managed=true", `org.cares.worker=${workerName}`] },
  });
}

/** Removes whatever a test left behind for `workerName`. */
export async function removeContainersOf(workerName: string): Promise<void> {
  for (const info of await containersOf(workerName)) {
    await engine
      .getContainer(info.Id)
      .remove({ force: true, v: true })
      .catch(() => {});
  }
}

/**
 * The containers of `workerName` still there after waiting up to `ms` for them to go: the
 * executor answers before its removal of a finished container is done.
 */
export async function containersLeftAfter(
  workerName: string,
  ms = 10_000,
): Promise<Docker.ContainerInfo[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = await containersOf(workerName);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
