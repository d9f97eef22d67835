import { execFileSync } from "node:child_process";

/**
 * The CARES containers of `worker` on the engine now, that run or ran a call: those the
 * worker created ahead of time for calls yet to come (labelled `pooled`) are left out.
 */
export function callContainers(worker: string): string[] {
  const filters = ["label=org.cares.managed=true", `label=org.cares.worker=${worker}`];
  const rows = execFileSync(
    "docker",
    [
      "ps",
      "-a",
      ...filters.flatMap((f) => ["--filter", f]),
      "--format",
      '{{.ID}} {{.Label "org.cares.invocation"}}',
    ],
    { encoding: "utf8" },
  );
  return rows
    .split("\n")
    .filter(Boolean)
    .filter((row) => !row.endsWith(" pooled"))
    .map((row) => row.split(" ")[0]!);
}

/**
 * Fails (never skips) when the engine does not answer or lacks one of `images`: the tests
 * that call this run against the real engine.
 */
export function requireImages(...images: string[]): void {
  try {
    execFileSync("docker", ["image", "inspect", ...images], { stdio: "ignore" });
  } catch {
    throw new Error(
      "the Docker engine is not running or the sample images are missing: " +
        "run scripts/ensure-engine.sh",
    );
  }
}
