// Workers that come back, or that come twice: a restarted worker takes calls at once,
// and a second worker refused for a name in use leaves the first one's calls alone.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  launch,
  registerFunction,
  startOrchestrator,
  startWorker,
  waitForNodes,
  freePort,
  stopAfterEach,
} from "./support/processes.js";

const track = stopAfterEach("SIGTERM");

describe("workers that come back or come twice", () => {
  it("runs the first call after a worker restarts on the same address", async () => {
    const orchestrator = track(await startOrchestrator());
    const port = String(await freePort());
    const args = ["--executor", "fake", "--name", "again", "--port", port];
    const first = await startWorker(orchestrator.grpcAddress, args);
    await registerFunction(orchestrator.httpUrl, { name: "echo", image: "cares/echo" });
    expect((await fetch(`${orchestrator.httpUrl}/invoke/echo`, { method: "POST" })).status).toBe(
      200,
    );
    await first.stop("SIGKILL");

    track(await startWorker(orchestrator.grpcAddress, args));
    await waitForNodes(orchestrator.httpUrl, (nodes) => nodes[0]?.status === "Active");
    const response = await fetch(`${orchestrator.httpUrl}/invoke/echo`, {
      method: "POST",
      body: "back",
    });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("back");
  });

  it("refuses a second worker of the same name without touching the first one's call", async () => {
    const name = `twice-${randomUUID().slice(0, 8)}`;
    const orchestrator = track(await startOrchestrator());
    track(await startWorker(orchestrator.grpcAddress, ["--executor", "docker", "--name", name]));
    await registerFunction(orchestrator.httpUrl, {
      name: "nap",
      image: "cares/sleep",
      env: { SLEEP_SECONDS: "2" },
    });
    const call = fetch(`${orchestrator.httpUrl}/invoke/nap`, { method: "POST" });
    await new Promise((resolve) => setTimeout(resolve, 700));

    const second = track(
      launch("worker", [
        "--orchestrator",
        orchestrator.grpcAddress,
        "--port",
        "0",
        "--executor",
        "docker",
        "--name",
        name,
      ]),
    );

    expect(await second.exited).toBe(1);
    expect(second.stderr.join("\n")).toContain(`an active node named '${name}' already serves`);
    const response = await call;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("slept 2s\n");
  });
});
