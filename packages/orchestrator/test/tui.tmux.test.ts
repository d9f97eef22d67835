import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import {
  freshDataDir,
  registerFunction,
  startOrchestrator,
  startWorker,
  type Program,
} from "./support/processes.js";
import { Tmux, inOrder, programCommand } from "./support/tmux.js";

const ORCHESTRATOR_LINES = [
  "[INFO] orchestrator   Received invocation for 'hello'.",
  "[INFO] orchestrator   Selecting optimal node from 1 active candidates...",
  "[INFO] orchestrator   Node 'tmux-worker' selected with lowest cost.",
  "[INFO] orchestrator   Dispatching job to 'tmux-worker'...",
  "[INFO] orchestrator   Job complete. Received result from worker.",
];
const WORKER_LINES = [
  "[INFO] tmux-worker    Received execution request for image 'cares/hello-world'.",
  "[INFO] tmux-worker    Starting container for image 'cares/hello-world'...",
  "[INFO] tmux-worker    Container finished. Sending result back to Orchestrator.",
];

const ORCHESTRATOR = "packages/orchestrator/src/main.ts";
const LISTENING =
  /Orchestrator listening: HTTP on 127\.0\.0\.1:(\d+), gRPC on 127\.0\.0\.1:(\d+)\./;

function curl(...args: string[]): string {
  return execFileSync("curl", ["-s", "--max-time", "10", ...args], { encoding: "utf8" });
}

describe("the TUIs in a real terminal", () => {
  let tmux = new Tmux();
  const programs: Program[] = [];

  afterEach(async () => {
    tmux.kill();
    tmux = new Tmux();
    await Promise.all(programs.splice(0).map((program) => program.stop()));
  });

  /** Starts the orchestrator's TUI in tmux and reads its ports off the log pane. */
  async function openOrchestrator() {
    tmux.open(
      "orchestrator",
      programCommand(ORCHESTRATOR, [
        "--http-port",
        "0",
        "--grpc-port",
        "0",
        "--data-dir",
        freshDataDir(),
      ]),
    );
    const screen = await tmux.waitFor("orchestrator", (text) => LISTENING.test(text));
    const [, http, grpc] = LISTENING.exec(screen)!;
    return { http: `http://127.0.0.1:${http}`, grpc: `127.0.0.1:${grpc}` };
  }

  it("shows the scheduling decision, then the worker's execution", async () => {
    const { http, grpc } = await openOrchestrator();
    tmux.open(
      "worker",
      programCommand("packages/worker/src/main.ts", [
        "--orchestrator",
        grpc,
        "--port",
        "0",
        "--name",
        "tmux-worker",
        "--executor",
        "fake",
        "--heartbeat-interval",
        "200",
      ]),
    );
    await tmux.waitFor("orchestrator", (text) =>
      /tmux-worker\s+127\.0\.0\.1:\d+\s+Active/.test(text),
    );
    await registerFunction(http, { name: "hello", image: "cares/hello-world" });

    expect(curl("--data-binary", "hi from tmux", `${http}/invoke/hello`)).toBe("hi from tmux");
    const orchestratorScreen = await tmux.waitFor("orchestrator", (text) =>
      inOrder(text, ORCHESTRATOR_LINES),
    );
    expect(orchestratorScreen).toMatch(/nodes 1\/1 active │ functions 1/);
    const workerScreen = await tmux.waitFor("worker", (text) => inOrder(text, WORKER_LINES));
    expect(workerScreen).toMatch(/cares\/hello-world\s+succeeded\s+\d+\.\ds\s+0/);
    expect(workerScreen).toContain("registered");

    // q gives the terminal back and ends the program.
    tmux.sendKeys("worker", "q");
    await tmux.waitFor("worker", (text) => !text.includes("CARES worker"));
  });

  it("registers a function through the r prompt", async () => {
    const { http } = await openOrchestrator();

    tmux.sendKeys("orchestrator", "r");
    await tmux.waitFor("orchestrator", (text) => text.includes("Its name?"));
    tmux.sendKeys("orchestrator", "Escape");
    await tmux.waitFor("orchestrator", (text) => text.includes("r  register"));

    tmux.sendKeys("orchestrator", "r");
    await tmux.waitFor("orchestrator", (text) => text.includes("Its name?"));
    tmux.sendKeys("orchestrator", "-l", "Bad_Name");
    tmux.sendKeys("orchestrator", "Enter");
    await tmux.waitFor("orchestrator", (text) => text.includes("may hold only lower-case"));
    for (let i = 0; i < 8; i++) tmux.sendKeys("orchestrator", "BSpace");
    tmux.sendKeys("orchestrator", "-l", "typed-func");
    tmux.sendKeys("orchestrator", "Enter");
    await tmux.waitFor("orchestrator", (text) => text.includes("Its Docker image?"));
    tmux.sendKeys("orchestrator", "-l", "cares/echo");
    tmux.sendKeys("orchestrator", "Enter");
    await tmux.waitFor("orchestrator", (text) => /typed-func\s+cares\/echo\s+30s/.test(text));

    const listed = JSON.parse(curl(`${http}/functions`)) as { functions: Array<{ name: string }> };
    expect(listed.functions.map((f) => f.name)).toEqual(["typed-func"]);
  });

  it("draws the same story in watch, from the stream alone, across a restart", async () => {
    const orchestrator = await startOrchestrator();
    programs.push(orchestrator);
    const worker = await startWorker(orchestrator.grpcAddress, [
      "--name",
      "tmux-worker",
      "--executor",
      "fake",
    ]);
    programs.push(worker);
    const port = new URL(orchestrator.httpUrl).port;
    tmux.open(
      "watch",
      programCommand("packages/orchestrator/src/watch.ts", [
        "--url",
        `ws://127.0.0.1:${port}/events`,
      ]),
    );
    await tmux.waitFor(
      "watch",
      (text) => text.includes("connected ws://") && /tmux-worker/.test(text),
    );

    await registerFunction(orchestrator.httpUrl, { name: "hello", image: "cares/hello-world" });
    curl("-X", "POST", `${orchestrator.httpUrl}/invoke/hello`);
    const screen = await tmux.waitFor(
      "watch",
      (text) => inOrder(text, ORCHESTRATOR_LINES) && inOrder(text, WORKER_LINES),
    );
    expect(screen).toContain("read-only");

    // The orchestrator restarts on the same port; watch finds it again by itself.
    await orchestrator.stop();
    await tmux.waitFor("watch", (text) => /(disconnected|connecting) ws:\/\//.test(text));
    const again = await startOrchestrator(["--http-port", port]);
    programs.push(again);
    await tmux.waitFor(
      "watch",
      (text) => text.includes("connected ws://") && text.includes("functions 0"),
    );
  });
});
