// What a call costs outside the function itself.
//
// 1. On the Docker engine: `curl -X POST .../invoke/NAME` for cares/hello-world through
//    CARES against `docker run --rm cares/hello-world` on the same engine, one after the
//    other, interleaved; median and p95 of each and their ratio.
// 2. With the fake executor (no containers): calls per second and p50/p99 latency at 1,
//    16 and 64 concurrent callers.
//
//   pnpm bench:invoke                  both (about a minute)
//   pnpm bench:invoke -- --runs 50     more docker samples (default 30)
//   pnpm bench:invoke -- --fake-only   skip the Docker part
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  registerFunction,
  startOrchestrator,
  startWorker,
  type Program,
} from "../packages/orchestrator/test/support/processes.js";
import { percentile } from "./stats.js";

const run = promisify(execFile);
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1]) || 30;
const fakeOnly = args.includes("--fake-only");
const started: Program[] = [];

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function summary(samples: number[]): string {
  const median = percentile(samples, 50).toFixed(1);
  return `median ${median} ms, p95 ${percentile(samples, 95).toFixed(1)} ms`;
}

async function dockerComparison(): Promise<void> {
  const orchestrator = await startOrchestrator();
  const worker = await startWorker(orchestrator.grpcAddress, ["--executor", "docker"]);
  started.push(orchestrator, worker);
  await registerFunction(orchestrator.httpUrl, { name: "hello", image: "cares/hello-world" });
  const url = `${orchestrator.httpUrl}/invoke/hello`;

  const curl = () => run("curl", ["-sS", "-f", "-X", "POST", url]);
  const docker = () => run("docker", ["run", "--rm", "--network", "none", "cares/hello-world"]);
  for (let i = 0; i < 3; i++) await Promise.all([curl(), docker()].map((p) => p.catch(() => {})));

  const viaCares: number[] = [];
  const viaDocker: number[] = [];
  for (let i = 0; i < runs; i++) {
    viaCares.push(await timed(curl));
    viaDocker.push(await timed(docker));
  }
  console.log(`cares/hello-world, ${runs} calls each, one at a time`);
  console.log(`  curl -X POST ${new URL(url).pathname} through CARES: ${summary(viaCares)}`);
  console.log(`  docker run --rm cares/hello-world:        ${summary(viaDocker)}`);
  const ratio = (p: number) => percentile(viaCares, p) / percentile(viaDocker, p);
  console.log(
    `  ratio CARES / docker run: median ${ratio(50).toFixed(2)}, p95 ${ratio(95).toFixed(2)}`,
  );
}

async function load(url: string, concurrency: number, seconds: number) {
  const latencies: number[] = [];
  let failures = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const start = performance.now();
        const response = await fetch(url, { method: "POST", body: "ping" });
        await response.arrayBuffer();
        if (response.status === 200) latencies.push(performance.now() - start);
        else failures++;
      }
    }),
  );
  return { latencies, failures, rate: latencies.length / seconds };
}

async function fakeThroughput(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cares-bench-"));
  const rules = join(dir, "rules.json");
  writeFileSync(rules, JSON.stringify({ "bench/echo": {} }));
  try {
    const orchestrator = await startOrchestrator();
    const worker = await startWorker(orchestrator.grpcAddress, [
      "--executor",
      "fake",
      "--fake-rules",
      rules,
      "--capacity",
      "256",
      "--metrics",
      "fake",
    ]);
    started.push(orchestrator, worker);
    await registerFunction(orchestrator.httpUrl, { name: "echo", image: "bench/echo" });
    const url = `${orchestrator.httpUrl}/invoke/echo`;
    await load(url, 8, 2); // warm-up
    console.log("fake executor, echo of a 4-byte body, 5 s per level");
    for (const concurrency of [1, 16, 64]) {
      const { latencies, failures, rate } = await load(url, concurrency, 5);
      console.log(
        `  ${String(concurrency).padStart(2)} callers: ${rate.toFixed(0)} calls/s, ` +
          `p50 ${percentile(latencies, 50).toFixed(2)} ms, ` +
          `p99 ${percentile(latencies, 99).toFixed(2)} ms` +
          (failures ? `, ${failures} failed` : ""),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  if (!fakeOnly) await dockerComparison();
  await fakeThroughput();
} finally {
  await Promise.all(started.map((program) => program.stop()));
}
