import { readFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { join, relative } from "node:path";
import { CaresError } from "@cares/shared";
import type { MetricsSource, Usage } from "./metrics-source.js";

/** Where a process's cgroup files are, for the controllers this source reads. */
export interface CgroupLayout {
  version: 1 | 2;
  /** v2: the one directory; v1: the cpuacct directory. */
  cpuDir: string;
  /** v1 only: the cpu controller's directory, for the quota. */
  cpuQuotaDir: string;
  memoryDir: string;
}

interface Mount {
  root: string;
  point: string;
  type: string;
  superOptions: string[];
}

function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const fields = left.split(" ");
    const [type, , superOptions = ""] = right.split(" ");
    mounts.push({
      root: fields[3] ?? "/",
      point: fields[4] ?? "",
      type: type ?? "",
      superOptions: superOptions.split(","),
    });
  }
  return mounts;
}

/** The directory of `path` (a cgroup path) under `mount`, seen from this namespace. */
function dirUnder(mount: Mount, path: string): string {
  const inside = relative(mount.root, path);
  return inside.startsWith("..") ? mount.point : join(mount.point, inside);
}

/**
 * Finds this process's cgroup directories from the text of /proc/self/cgroup and
 * /proc/self/mountinfo: cgroup v2 when the process has a unified path and the
 * controllers live there, else v1's cpuacct, cpu and memory hierarchies.
 */
export function locateCgroup(procCgroup: string, mountinfo: string): CgroupLayout {
  const mounts = parseMountinfo(mountinfo);
  const paths = new Map<string, string>();
  for (const line of procCgroup.split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    for (const controller of match[1]!.split(",")) paths.set(controller, match[2]!);
  }

  const v1 = (controller: string) => {
    const path = paths.get(controller);
    const mount = mounts.find((m) => m.type === "cgroup" && m.superOptions.includes(controller));
    return path !== undefined && mount ? dirUnder(mount, path) : undefined;
  };
  const cpuacct = v1("cpuacct");
  const memory = v1("memory");
  if (cpuacct && memory) {
    return { version: 1, cpuDir: cpuacct, cpuQuotaDir: v1("cpu") ?? cpuacct, memoryDir: memory };
  }

  const unifiedPath = paths.get("");
  const unified = mounts.find((m) => m.type === "cgroup2");
  if (unifiedPath !== undefined && unified) {
    const dir = dirUnder(unified, unifiedPath);
    return { version: 2, cpuDir: dir, cpuQuotaDir: dir, memoryDir: dir };
  }
  throw new CaresError(
    "cgroup_unavailable",
    "cannot find this process's cgroup (neither v1 cpuacct and memory nor v2 is mounted)",
  );
}

function readNumber(file: string): number {
  return Number(readFileSync(file, "utf8").trim());
}

function readStat(file: string): Map<string, number> {
  const stat = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) stat.set(key, Number(value));
  }
  return stat;
}

/**
 * The load of the worker's own cgroup, so that several workers on one machine (or in
 * containers or pods) each report their own: CPU time used over the last interval
 * against the CPUs the cgroup may use (its quota, else the machine's CPUs), and memory
 * in use (without reclaimable page cache) against the cgroup's limit (else the
 * machine's memory).
 *
 * Limitation: a cgroup limited only by CPU shares (weights) and not by a quota is
 * measured against the machine's CPUs, since shares give no absolute figure.
 */
export class CgroupMetrics implements MetricsSource {
  readonly name = "cgroup";
  readonly layout: CgroupLayout;
  #lastCpuNs: number;
  #lastAt: bigint;

  constructor(layout?: CgroupLayout) {
    this.layout =
      layout ??
      locateCgroup(
        readFileSync("/proc/self/cgroup", "utf8"),
        readFileSync("/proc/self/mountinfo", "utf8"),
      );
    this.#lastCpuNs = this.#cpuNs();
    this.#lastAt = process.hrtime.bigint();
  }

  async read(): Promise<Usage> {
    const cpuNs = this.#cpuNs();
    const now = process.hrtime.bigint();
    const wallNs = Number(now - this.#lastAt);
    const used = cpuNs - this.#lastCpuNs;
    this.#lastCpuNs = cpuNs;
    this.#lastAt = now;
    const cpuUsage = wallNs > 0 ? (used / (wallNs * this.#cpus())) * 100 : 0;
    return { cpuUsage: clamp(cpuUsage), memoryUsage: clamp(this.#memoryPercent()) };
  }

  #cpuNs(): number {
    const { version, cpuDir } = this.layout;
    if (version === 1) return readNumber(join(cpuDir, "cpuacct.usage"));
    return (readStat(join(cpuDir, "cpu.stat")).get("usage_usec") ?? 0) * 1000;
  }

  /** The CPUs the cgroup may use: its quota when it has one, else the machine's. */
  #cpus(): number {
    const { version, cpuQuotaDir } = this.layout;
    const machine = availableParallelism();
    try {
      if (version === 1) {
        const quota = readNumber(join(cpuQuotaDir, "cpu.cfs_quota_us"));
        const period = readNumber(join(cpuQuotaDir, "cpu.cfs_period_us"));
        return quota > 0 && period > 0 ? Math.min(machine, quota / period) : machine;
      }
      const [quota, period] = readFileSync(join(cpuQuotaDir, "cpu.max"), "utf8").trim().split(" ");
      return quota !== "max" && Number(period) > 0
        ? Math.min(machine, Number(quota) / Number(period))
        : machine;
    } catch {
      return machine;
    }
  }

  #memoryPercent(): number {
    const { version, memoryDir } = this.layout;
    const machine = totalmem();
    let usage: number;
    let limit: number;
    let inactive: number;
    if (version === 1) {
      usage = readNumber(join(memoryDir, "memory.usage_in_bytes"));
      limit = readNumber(join(memoryDir, "memory.limit_in_bytes"));
      inactive = readStat(join(memoryDir, "memory.stat")).get("total_inactive_file") ?? 0;
    } else {
      usage = readNumber(join(memoryDir, "memory.current"));
      const max = readFileSync(join(memoryDir, "memory.max"), "utf8").trim();
      limit = max === "max" ? machine : Number(max);
      inactive = readStat(join(memoryDir, "memory.stat")).get("inactive_file") ?? 0;
    }
    const bound = Math.min(limit, machine);
    return bound > 0 ? (Math.max(0, usage - inactive) / bound) * 100 : 0;
  }
}

function clamp(percent: number): number {
  return Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
}
