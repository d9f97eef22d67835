// The design's check, automated: scripts/demo-load-balancing.sh with real processes in
// cgroups of their own and a busy loop in one of them. Needs root and the Docker engine.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");

describe("load balancing on one machine", () => {
  it("sends every call to b while a is busy, and to both once a is idle again", () => {
    const run = spawnSync("bash", [join(ROOT, "scripts/demo-load-balancing.sh")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, CARES_LB_BASE_PORT: "25050" },
      timeout: 120_000,
    });
    const output = `${run.stdout}${run.stderr}`;

    expect(output).toContain("[lb] 20 calls with a busy: b=20 ");
    expect(output).toContain(
      `[lb] orchestrator said "Node 'b' selected with lowest cost." 20 times`,
    );
    expect(output).toMatch(/\[lb\] 20 calls with both idle: a=\d+ b=\d+ /);
    expect(output).toContain("[lb] PASSED");
    expect(run.status).toBe(0);
  }, 150_000);
});
