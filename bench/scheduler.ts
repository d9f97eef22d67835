// How long the scheduler takes to choose among 100, 1,000 and 10,000 nodes, and how much
// memory the orchestrator holds with 1,000 nodes heartbeating every 2 s.
//
//   pnpm bench:scheduler                 all of it (about 40 s)
//   pnpm bench:scheduler -- --quick      a shorter heartbeat phase
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Logger, OrchestratorClient, silentSink } from "../packages/shared/src/index.js";
import { NodeRegistry } from "../packages/orchestrator/src/registry/node-registry.js";
import { selectNodeForExecution } from "../packages/orchestrator/src/scheduler/scheduler.js";
import { percentile } from "./stats.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");

function registryOf(count: number): NodeRegistry {
  const registry = new NodeRegistry({ log: new Logger(silentSink) });
  for (let i = 0; i < count; i++) {
    const node = registry.register({
      name: `node-${i}`,
      address: `127.0.0.1:${10_000 + (i % 50_000)}`,
      executor: "fake",
      heartbeatIntervalMs: 2_000,
      capacity: { cpus: 8, memoryBytes: 32 * 1024 ** 3, maxConcurrency: 16 },
    });
    registry.heartbeat({
      nodeId: node.id,
      cpuUsage: Math.random() * 100,
      memoryUsage: Math.random() * 100,
      runningExecutions: Math.floor(Math.random() * 8),
      draining: false,
      unhealthyReason: "",
    });
    if (i % 10 === 0) registry.markInactive(node.id, "bench");
  }
  return registry;
}

function decisionTimes(count: number): { median: number; p99: number; samples: number } {
  const registry = registryOf(count);
  const samples = count >= 10_000 ? 300 : 3_000;
  for (let i = 0; i < 50; i++) selectNodeForExecution(registry); // warm-up
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    selectNodeForExecution(registry, { functionName: "f", concurrency: 4 });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { median: percentile(times, 50), p99: percentile(times, 99), samples };
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

async function heartbeatMemory(nodes: number, seconds: number) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "packages/orchestrator/src/main.ts"),
      "--no-tui",
      "--log-format",
      "json",
      "--http-port",
      "0",
      "--grpc-port",
      "0",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const ready = await new Promise<{ grpcPort: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const record = JSON.parse(line) as { msg: string; grpcPort?: number };
      if (record.msg.startsWith("Orchestrator listening")) resolve({ grpcPort: record.grpcPort! });
    });
    child.once("exit", (code) => reject(new Error(`orchestrator exited with ${code}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const idle = rssKiB(child.pid!);

  // Ten channels, a hundred nodes each: the orchestrator's work per heartbeat is the
  // same as with a thousand workers, without a thousand processes on this machine.
  const clients = Array.from(
    { length: 10 },
    () => new OrchestratorClient(`127.0.0.1:${ready.grpcPort}`),
  );
  const ids: string[] = [];
  for (let i = 0; i < nodes; i++) {
    const grant = await clients[i % clients.length]!.register(
      {
        name: `bench-${i}`,
        address: `127.0.0.1:${20_000 + i}`,
        executor: "fake",
        heartbeatIntervalMs: 2_000,
        capacity: { cpus: 4, memoryBytes: 8 * 1024 ** 3, maxConcurrency: 8 },
      },
      5_000,
    );
    ids.push(grant.nodeId);
  }
  const rounds = Math.round(seconds / 2);
  let peak = 0;
  for (let round = 0; round < rounds; round++) {
    const started = Date.now();
    await Promise.all(
      ids.map((nodeId, i) =>
        clients[i % clients.length]!.heartbeat(
          {
            nodeId,
            cpuUsage: Math.random() * 100,
            memoryUsage: Math.random() * 100,
            runningExecutions: 0,
            draining: false,
            unhealthyReason: "",
          },
          5_000,
        ),
      ),
    );
    peak = Math.max(peak, rssKiB(child.pid!));
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 2_000 - (Date.now() - started))),
    );
  }
  const steady = rssKiB(child.pid!);
  for (const client of clients) client.close();
  child.kill("SIGTERM");
  return { idle, steady, peak, rounds };
}

console.log("Scheduler decision time (selectNodeForExecution, one in ten nodes Inactive)");
for (const count of [100, 1_000, 10_000]) {
  const { median, p99, samples } = decisionTimes(count);
  console.log(
    `  ${String(count).padStart(6)} nodes: median ${median.toFixed(3)} ms, ` +
      `p99 ${p99.toFixed(3)} ms (${samples} decisions)`,
  );
}

const seconds = quick ? 10 : 30;
console.log(`Orchestrator memory, 1000 nodes heartbeating every 2 s for ${seconds} s`);
const memory = await heartbeatMemory(1_000, seconds);
const mib = (kib: number) => (kib / 1024).toFixed(1);
console.log(`  RSS idle before registration: ${mib(memory.idle)} MiB`);
console.log(
  `  RSS after ${memory.rounds} heartbeat rounds: ${mib(memory.steady)} MiB ` +
    `(peak ${mib(memory.peak)} MiB)`,
);
