// Starts the real orchestrator and worker programs as child processes, for tests that
// exercise CARES the way a person runs it.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** One line of a program's `--log-format json` output. */
export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export class Program {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  #waiters: Array<{ test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { time: "", level: "raw", msg: text };
      }
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.test(line)) return true;
        w.resolve(line);
        return false;
      });
    });
    createInterface({ input: child.stderr! }).on("line", (text) => this.stderr.push(text));
    this.exited = once(child, "exit").then(([code]) => code as number | null);
  }

  /** Resolves with the first log line (past or future) whose message matches. */
  waitForLog(pattern: RegExp | string, timeoutMs = 15_000): Promise<LogLine> {
    const test = (line: LogLine) =>
      typeof pattern === "string" ? line.msg.includes(pattern) : pattern.test(line.msg);
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no log line matching ${pattern} within ${timeoutMs} ms; got:\n${this.transcript()}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  messages(): string[] {
    return this.lines.map((line) => `[${line.level.toUpperCase()}] ${line.msg}`);
  }

  transcript(): string {
    return [...this.messages(), ...this.stderr.map((l) => `stderr: ${l}`)].join("\n");
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

const dataDirs: string[] = [];
process.on("exit", () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** A new, empty folder for one orchestrator's database, removed when the tests end. */
export function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cares-data-"));
  dataDirs.push(dir);
  return dir;
}

/**
 * Starts a CARES program with JSON logs and no TUI; nothing is awaited. An orchestrator
 * gets a fresh data folder unless `args` name one.
 */
export function launch(
  pkg: "orchestrator" | "worker",
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Program {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "packages", pkg, "src", "main.ts"),
      "--no-tui",
      "--log-format",
      "json",
      ...(pkg === "orchestrator" && !args.includes("--data-dir")
        ? ["--data-dir", freshDataDir()]
        : []),
      ...args,
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Program(child);
}

export interface OrchestratorProcess extends Program {
  httpUrl: string;
  grpcAddress: string;
}

/**
 * Starts an orchestrator on free ports and a fresh data folder (unless `args` set
 * them) and waits until it serves.
 */
export async function startOrchestrator(
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<OrchestratorProcess> {
  const program = launch("orchestrator", ["--http-port", "0", "--grpc-port", "0", ...args], env);
  const ready = await Promise.race([
    program.waitForLog("Orchestrator listening"),
    program.exited.then((code) => {
      throw new Error(`orchestrator exited with ${code}:\n${program.transcript()}`);
    }),
  ]);
  return Object.assign(program, {
    httpUrl: `http://127.0.0.1:${ready.httpPort as number}`,
    grpcAddress: `127.0.0.1:${ready.grpcPort as number}`,
  });
}

export interface WorkerProcess extends Program {
  name: string;
}

/** Starts a worker against `orchestrator` (host:port) and waits until it has registered. */
export async function startWorker(
  orchestrator: string,
  args: string[] = [],
  options: { waitForRegistration?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<WorkerProcess> {
  const program = launch(
    "worker",
    ["--orchestrator", orchestrator, "--port", "0", "--heartbeat-interval", "200", ...args],
    options.env,
  );
  const serving = await Promise.race([
    program.waitForLog("serving calls on"),
    program.exited.then((code) => {
      throw new Error(`worker exited with ${code}:\n${program.transcript()}`);
    }),
  ]);
  if (options.waitForRegistration ?? true) await program.waitForLog("Registered with orchestrator");
  return Object.assign(program, { name: serving.node as string });
}

/** Polls `GET /nodes` until `predicate` holds for the node list. */
export async function waitForNodes(
  httpUrl: string,
  predicate: (nodes: Array<{ name: string; status: string }>) => boolean,
  timeoutMs = 10_000,
): Promise<Array<{ name: string; status: string }>> {
  const deadline = Date.now() + timeoutMs;
  let nodes: Array<{ name: string; status: string }> = [];
  while (Date.now() < deadline) {
    const answer = (await (await fetch(`${httpUrl}/nodes`)).json()) as { nodes: typeof nodes };
    nodes = answer.nodes;
    if (predicate(nodes)) return nodes;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nodes never matched; last: ${JSON.stringify(nodes)}`);
}

/** Registers a function through the API and fails the test when that does not work. */
export async function registerFunction(
  httpUrl: string,
  body: Record<string, unknown>,
): Promise<void> {
  const response = await fetch(`${httpUrl}/functions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) {
    throw new Error(
      `registering ${JSON.stringify(body)} gave ${response.status}: ${await response.text()}`,
    );
  }
}

/**
 * Stops, after each test of the file, every program handed to the function this returns
 * (which hands the program back). Call it once at the top of a test file.
 */
export function stopAfterEach(
  signal: NodeJS.Signals = "SIGKILL",
): <T extends Program>(program: T) => T {
  const running: Program[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((program) => program.stop(signal)));
  });
  return (program) => {
    running.push(program);
    return program;
  };
}

/** A port that nothing listens on now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
