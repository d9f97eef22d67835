import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CaresError } from "@cares/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CgroupMetrics, locateCgroup, type CgroupLayout } from "../src/metrics/cgroup-metrics.js";

const lines = (...text: string[]) => text.join("\n") + "\n";

/** Where cgroups are mounted, and the options systemd and Docker mount them with. */
const CG = "/sys/fs/cgroup";
const RW = "rw,nosuid,nodev,noexec,relatime";
const RO = "ro,nosuid,nodev,noexec,relatime";
const DOCKER_V1 = "/docker/0123456789abcdef";

const SESSION = "/user.slice/user-1000.slice/session-2.scope";

/** A systemd host of the cgroup v1 era, with cpu and cpuacct mounted apart. */
const V1_SPLIT_CGROUP = lines(
  "12:pids:" + SESSION,
  "11:memory:" + SESSION,
  "10:cpuacct:/user.slice",
  "9:cpu:/user.slice",
  "8:cpuset:/",
  "7:blkio:/user.slice",
  "1:name=systemd:" + SESSION,
);
const V1_SPLIT_MOUNTINFO = lines(
  "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro",
  "25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
  `26 25 0:23 / ${CG}/systemd ${RW} shared:10 - cgroup cgroup rw,xattr,name=systemd`,
  `27 25 0:24 / ${CG}/cpuset ${RW} shared:11 - cgroup cgroup rw,cpuset`,
  `28 25 0:25 / ${CG}/blkio ${RW} shared:12 - cgroup cgroup rw,blkio`,
  `29 25 0:26 / ${CG}/cpu ${RW} shared:13 - cgroup cgroup rw,cpu`,
  `30 25 0:27 / ${CG}/cpuacct ${RW} shared:14 - cgroup cgroup rw,cpuacct`,
  `31 25 0:28 / ${CG}/memory ${RW} shared:15 - cgroup cgroup rw,memory`,
  `32 25 0:29 / ${CG}/pids ${RW} shared:16 - cgroup cgroup rw,pids`,
);

/** Ubuntu 20.04's hybrid layout: v1 controllers, cpu and cpuacct together, plus a v2 mount. */
const V1_COMBINED_CGROUP = lines(
  "12:memory:/system.slice/cares-worker.service",
  "11:cpuset:/",
  "4:cpu,cpuacct:/system.slice/cares-worker.service",
  "3:net_cls,net_prio:/",
  "1:name=systemd:/system.slice/cares-worker.service",
  "0::/system.slice/cares-worker.service",
);
const V1_COMBINED_MOUNTINFO = lines(
  `24 30 0:22 / /sys ${RW} shared:7 - sysfs sysfs rw`,
  "34 24 0:29 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
  `35 34 0:30 / ${CG}/unified ${RW} shared:10 - cgroup2 cgroup2 rw,nsdelegate`,
  `36 34 0:31 / ${CG}/systemd ${RW} shared:11 - cgroup cgroup rw,xattr,name=systemd`,
  `40 34 0:35 / ${CG}/net_cls,net_prio ${RW} shared:16 - cgroup cgroup rw,net_cls,net_prio`,
  `41 34 0:36 / ${CG}/cpu,cpuacct ${RW} shared:17 - cgroup cgroup rw,cpu,cpuacct`,
  `42 34 0:37 / ${CG}/cpuset ${RW} shared:18 - cgroup cgroup rw,cpuset`,
  `45 34 0:40 / ${CG}/memory ${RW} shared:21 - cgroup cgroup rw,memory`,
);

/** A current systemd host: the unified hierarchy only. */
const V2_SCOPE = "/user.slice/user-1000.slice/user@1000.service/app.slice/cares.scope";
const V2_CGROUP = lines("0::" + V2_SCOPE);
const V2_MOUNTINFO = lines(
  "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw",
  `23 22 0:21 / /proc ${RW} shared:12 - proc proc rw`,
  `24 22 0:22 / /sys ${RW} shared:2 - sysfs sysfs rw`,
  `35 24 0:30 / ${CG} ${RW} shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`,
);

/** Docker on a v2 host without a cgroup namespace: the container's cgroup is bind-mounted. */
const DOCKER_SCOPE = "/system.slice/docker-0123456789abcdef.scope";
const CONTAINER_V2_CGROUP = lines("0::" + DOCKER_SCOPE);
const CONTAINER_V2_MOUNTINFO = lines(
  "1210 1150 0:120 / / rw,relatime master:600 - overlay overlay rw,lowerdir=/l",
  `1211 1210 0:123 / /proc ${RW} - proc proc rw`,
  `1215 1210 0:124 / /sys ${RO} - sysfs sysfs ro`,
  `1216 1215 0:30 ${DOCKER_SCOPE} ${CG} ${RO} - cgroup2 cgroup ro,nsdelegate`,
);

/** Docker on a v1 host: each hierarchy's root is the container's own cgroup. */
const CONTAINER_V1_CGROUP = lines(
  "12:memory:" + DOCKER_V1,
  "4:cpu,cpuacct:" + DOCKER_V1,
  "1:name=systemd:" + DOCKER_V1,
);
const CONTAINER_V1_MOUNTINFO = lines(
  "700 690 0:90 / / rw,relatime - overlay overlay rw,lowerdir=/l",
  `706 705 0:95 / ${CG} ${RW} - tmpfs tmpfs rw,mode=755`,
  `707 706 0:23 ${DOCKER_V1} ${CG}/systemd ${RO} master:10 - cgroup cgroup rw,xattr,name=systemd`,
  `711 706 0:36 ${DOCKER_V1} ${CG}/cpu,cpuacct ${RO} master:17 - cgroup cgroup rw,cpu,cpuacct`,
  `715 706 0:40 ${DOCKER_V1} ${CG}/memory ${RO} master:21 - cgroup cgroup rw,memory`,
);

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("locateCgroup", () => {
  it("finds v1 cpuacct, cpu and memory when cpu and cpuacct are mounted apart", () => {
    expect(locateCgroup(V1_SPLIT_CGROUP, V1_SPLIT_MOUNTINFO)).toEqual({
      version: 1,
      cpuDir: "/sys/fs/cgroup/cpuacct/user.slice",
      cpuQuotaDir: "/sys/fs/cgroup/cpu/user.slice",
      memoryDir: "/sys/fs/cgroup/memory" + SESSION,
    });
  });

  it("finds v1 directories under a combined cpu,cpuacct mount, ahead of the v2 one", () => {
    const dir = "/sys/fs/cgroup/cpu,cpuacct/system.slice/cares-worker.service";
    expect(locateCgroup(V1_COMBINED_CGROUP, V1_COMBINED_MOUNTINFO)).toEqual({
      version: 1,
      cpuDir: dir,
      cpuQuotaDir: dir,
      memoryDir: "/sys/fs/cgroup/memory/system.slice/cares-worker.service",
    });
  });

  it("finds the one directory of a pure v2 host", () => {
    const dir = "/sys/fs/cgroup" + V2_SCOPE;
    expect(locateCgroup(V2_CGROUP, V2_MOUNTINFO)).toEqual({
      version: 2,
      cpuDir: dir,
      cpuQuotaDir: dir,
      memoryDir: dir,
    });
  });

  it("uses the v2 mount point itself for the root cgroup", () => {
    expect(locateCgroup("0::/\n", V2_MOUNTINFO).cpuDir).toBe("/sys/fs/cgroup");
  });

  it("uses the mount point when the v2 mount's root is the process's cgroup", () => {
    expect(locateCgroup(CONTAINER_V2_CGROUP, CONTAINER_V2_MOUNTINFO)).toEqual({
      version: 2,
      cpuDir: "/sys/fs/cgroup",
      cpuQuotaDir: "/sys/fs/cgroup",
      memoryDir: "/sys/fs/cgroup",
    });
  });

  it("uses the mount points when the v1 mounts' roots are the process's cgroup", () => {
    expect(locateCgroup(CONTAINER_V1_CGROUP, CONTAINER_V1_MOUNTINFO)).toEqual({
      version: 1,
      cpuDir: "/sys/fs/cgroup/cpu,cpuacct",
      cpuQuotaDir: "/sys/fs/cgroup/cpu,cpuacct",
      memoryDir: "/sys/fs/cgroup/memory",
    });
  });

  it("goes below the mount point for a cgroup nested under the mount's root", () => {
    const layout = locateCgroup(`0::${DOCKER_SCOPE}/worker\n`, CONTAINER_V2_MOUNTINFO);
    expect(layout.cpuDir).toBe("/sys/fs/cgroup/worker");
  });

  it("falls back to the mount point for a cgroup outside the mount's root", () => {
    const layout = locateCgroup("0::/system.slice/other.scope\n", CONTAINER_V2_MOUNTINFO);
    expect(layout.cpuDir).toBe("/sys/fs/cgroup");
  });

  it("throws cgroup_unavailable when neither v1 nor v2 is mounted", () => {
    const error = thrown(() =>
      locateCgroup(
        V1_SPLIT_CGROUP,
        lines("22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro"),
      ),
    );
    expect(error).toBeInstanceOf(CaresError);
    expect((error as CaresError).code).toBe("cgroup_unavailable");
    expect((error as Error).message).toMatch(/cannot find this process's cgroup/);
  });

  it("throws cgroup_unavailable for empty texts", () => {
    expect((thrown(() => locateCgroup("", "")) as CaresError).code).toBe("cgroup_unavailable");
  });

  it("throws cgroup_unavailable when v1 lacks the memory controller and there is no v2", () => {
    const cgroup = lines("4:cpu,cpuacct:/x", "1:name=systemd:/x");
    const mountinfo = lines(
      "41 34 0:36 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct",
      "36 34 0:31 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd",
    );
    expect((thrown(() => locateCgroup(cgroup, mountinfo)) as CaresError).code).toBe(
      "cgroup_unavailable",
    );
  });

  it("throws cgroup_unavailable when a v2 path is listed but nothing is mounted", () => {
    expect((thrown(() => locateCgroup(V2_CGROUP, "")) as CaresError).code).toBe(
      "cgroup_unavailable",
    );
  });
});

const MiB = 1024 * 1024;
const machineCpus = availableParallelism();

/** The fake tree: three directories for v1 (cpuacct, cpu, memory), one for v2. */
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "cares-cgroup-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(dir: string, files: Record<string, string | number>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(files)) {
    writeFileSync(join(dir, name), `${value}\n`);
  }
}

function v1Layout(): CgroupLayout {
  return {
    version: 1,
    cpuDir: join(root, "cpuacct"),
    cpuQuotaDir: join(root, "cpu"),
    memoryDir: join(root, "memory"),
  };
}

function v2Layout(): CgroupLayout {
  const dir = join(root, "unified");
  return { version: 2, cpuDir: dir, cpuQuotaDir: dir, memoryDir: dir };
}

function v1Files(options: {
  usageNs?: number;
  quota?: number;
  period?: number;
  memory?: number;
  limit?: number;
  inactive?: number;
}): void {
  const layout = v1Layout();
  write(layout.cpuDir, { "cpuacct.usage": options.usageNs ?? 0 });
  write(layout.cpuQuotaDir, {
    "cpu.cfs_quota_us": options.quota ?? -1,
    "cpu.cfs_period_us": options.period ?? 100_000,
  });
  write(layout.memoryDir, {
    "memory.usage_in_bytes": options.memory ?? 0,
    "memory.limit_in_bytes": options.limit ?? 9_223_372_036_854_771_712,
    "memory.stat": [
      "cache 1000",
      "rss 2000",
      `inactive_file ${7 * MiB}`,
      `total_cache 1000`,
      `total_inactive_file ${options.inactive ?? 0}`,
      "total_active_file 0",
    ].join("\n"),
  });
}

function cpuStat(usageUsec: number): string {
  return [
    `usage_usec ${usageUsec}`,
    `user_usec ${Math.floor(usageUsec * 0.8)}`,
    `system_usec ${Math.ceil(usageUsec * 0.2)}`,
    "nr_periods 0",
    "nr_throttled 0",
    "throttled_usec 0",
  ].join("\n");
}

function v2Files(options: {
  usageUsec?: number;
  cpuMax?: string;
  memory?: number;
  memoryMax?: string;
  inactive?: number;
}): void {
  write(v2Layout().cpuDir, {
    "cpu.stat": cpuStat(options.usageUsec ?? 0),
    "cpu.max": options.cpuMax ?? "max 100000",
    "memory.current": options.memory ?? 0,
    "memory.max": options.memoryMax ?? "max",
    "memory.stat": [
      "anon 1000",
      "file 2000",
      "active_file 0",
      `inactive_file ${options.inactive ?? 0}`,
    ].join("\n"),
  });
}

function setV1Cpu(usageNs: number): void {
  write(v1Layout().cpuDir, { "cpuacct.usage": usageNs });
}

function setV2Cpu(usageUsec: number): void {
  write(v2Layout().cpuDir, { "cpu.stat": cpuStat(usageUsec) });
}

/**
 * Builds the source, waits, sets the counter to `usedNs` past its start and reads once;
 * returns the reading with the lowest and highest CPU percent the wall time allows.
 */
async function measure(
  layout: CgroupLayout,
  setCounter: () => void,
  usedNs: number,
  cpus: number,
  waitMs = 300,
) {
  const beforeBuild = process.hrtime.bigint();
  const metrics = new CgroupMetrics(layout);
  const afterBuild = process.hrtime.bigint();
  await sleep(waitMs);
  setCounter();
  const beforeRead = process.hrtime.bigint();
  const usage = await metrics.read();
  const afterRead = process.hrtime.bigint();
  const shortest = Number(beforeRead - afterBuild);
  const longest = Number(afterRead - beforeBuild);
  return {
    metrics,
    usage,
    low: (usedNs / (longest * cpus)) * 100,
    high: (usedNs / (shortest * cpus)) * 100,
  };
}

describe("CgroupMetrics on cgroup v1", () => {
  it("is named cgroup and keeps the layout it was given", () => {
    v1Files({});
    const metrics = new CgroupMetrics(v1Layout());
    expect(metrics.name).toBe("cgroup");
    expect(metrics.layout).toEqual(v1Layout());
  });

  it("measures CPU time against the quota over the wall time", async () => {
    // Quota of half a CPU; a quarter of a CPU-second over ~0.5 s is about the whole quota,
    // but we use an eighth so that the clamp at 100 cannot hide an error.
    v1Files({ usageNs: 5e9, quota: 50_000, period: 100_000 });
    const used = 0.125e9;
    const { usage, low, high } = await measure(
      v1Layout(),
      () => setV1Cpu(5e9 + used),
      used,
      0.5,
      500,
    );
    expect(usage.cpuUsage).toBeGreaterThanOrEqual(low - 0.01);
    expect(usage.cpuUsage).toBeLessThanOrEqual(high + 0.01);
    expect(usage.cpuUsage).toBeGreaterThan(35);
    expect(usage.cpuUsage).toBeLessThanOrEqual(50.01);
  });

  it("reports the whole quota used as 100", async () => {
    v1Files({ quota: 50_000, period: 100_000 });
    const { usage, low } = await measure(v1Layout(), () => setV1Cpu(0.25e9), 0.25e9, 0.5, 500);
    expect(usage.cpuUsage).toBeGreaterThanOrEqual(Math.min(low, 100) - 0.01);
    expect(usage.cpuUsage).toBeLessThanOrEqual(100);
    expect(usage.cpuUsage).toBeGreaterThan(75);
  });

  it("measures against the machine's CPUs when there is no quota", async () => {
    v1Files({ quota: -1 });
    const used = 0.3e9 * machineCpus * 0.25;
    const { usage, low, high } = await measure(v1Layout(), () => setV1Cpu(used), used, machineCpus);
    expect(usage.cpuUsage).toBeGreaterThanOrEqual(low - 0.01);
    expect(usage.cpuUsage).toBeLessThanOrEqual(high + 0.01);
  });

  it("measures against the machine's CPUs when the quota files are missing", async () => {
    v1Files({});
    rmSync(v1Layout().cpuQuotaDir, { recursive: true });
    const used = 0.3e9 * machineCpus * 0.25;
    const { usage, low, high } = await measure(v1Layout(), () => setV1Cpu(used), used, machineCpus);
    expect(usage.cpuUsage).toBeGreaterThanOrEqual(low - 0.01);
    expect(usage.cpuUsage).toBeLessThanOrEqual(high + 0.01);
  });

  it("counts only the CPU time used since the previous read", async () => {
    v1Files({ quota: 100_000, period: 100_000 });
    const { metrics } = await measure(v1Layout(), () => setV1Cpu(1e12), 1e12, 1, 10);
    // The counter then stands still: nothing was used since.
    await sleep(50);
    expect((await metrics.read()).cpuUsage).toBe(0);
  });

  it("clamps CPU to 100 when more was used than the quota allows", async () => {
    v1Files({ quota: 10_000, period: 100_000 });
    const { usage } = await measure(v1Layout(), () => setV1Cpu(10e9), 10e9, 0.1, 50);
    expect(usage.cpuUsage).toBe(100);
  });

  it("clamps CPU to 0 when the counter goes back", async () => {
    v1Files({ usageNs: 10e9 });
    const { usage } = await measure(v1Layout(), () => setV1Cpu(1e9), -9e9, machineCpus, 20);
    expect(usage.cpuUsage).toBe(0);
  });

  it("reports memory in use without inactive page cache against the limit", async () => {
    v1Files({ memory: 600 * MiB, inactive: 100 * MiB, limit: 1024 * MiB });
    const { memoryUsage } = await new CgroupMetrics(v1Layout()).read();
    const bound = Math.min(1024 * MiB, totalmem());
    expect(memoryUsage).toBeCloseTo((500 * MiB * 100) / bound, 6);
  });

  it("reads total_inactive_file, not the cgroup's own inactive_file", async () => {
    // memory.stat also lists inactive_file (7 MiB); only the hierarchical total counts.
    v1Files({ memory: 300 * MiB, inactive: 0, limit: 1024 * MiB });
    const { memoryUsage } = await new CgroupMetrics(v1Layout()).read();
    expect(memoryUsage).toBeCloseTo((300 * MiB * 100) / Math.min(1024 * MiB, totalmem()), 6);
  });

  it("measures against the machine's memory when the limit is unset", async () => {
    const usage = Math.floor(totalmem() / 4);
    v1Files({ memory: usage });
    const { memoryUsage } = await new CgroupMetrics(v1Layout()).read();
    expect(memoryUsage).toBeCloseTo(25, 3);
  });

  it("clamps memory to 0..100", async () => {
    v1Files({ memory: 100 * MiB, inactive: 200 * MiB, limit: 1024 * MiB });
    expect((await new CgroupMetrics(v1Layout()).read()).memoryUsage).toBe(0);

    v1Files({ memory: 3 * totalmem(), limit: 1024 * MiB });
    expect((await new CgroupMetrics(v1Layout()).read()).memoryUsage).toBe(100);
  });
});

describe("CgroupMetrics on cgroup v2", () => {
  it("measures CPU time against cpu.max over the wall time", async () => {
    v2Files({ usageUsec: 1_000_000, cpuMax: "50000 100000" });
    const usedUsec = 125_000;
    const { usage, low, high } = await measure(
      v2Layout(),
      () => setV2Cpu(1_000_000 + usedUsec),
      usedUsec * 1000,
      0.5,
      500,
    );
    expect(usage.cpuUsage).toBeGreaterThanOrEqual(low - 0.01);
    expect(usage.cpuUsage).toBeLessThanOrEqual(high + 0.01);
    expect(usage.cpuUsage).toBeGreaterThan(35);
    expect(usage.cpuUsage).toBeLessThanOrEqual(50.01);
  });

  it("measures against the machine's CPUs when cpu.max is max", async () => {
    v2Files({ cpuMax: "max 100000" });
    const usedNs = 0.3e9 * machineCpus * 0.5;
    const { usage, low, high } = await measure(
      v2Layout(),
      () => setV2Cpu(usedNs / 1000),
      usedNs,
      machineCpus,
    );
    expect(usage.cpuUsage).toBeGreaterThanOrEqual(low - 0.01);
    expect(usage.cpuUsage).toBeLessThanOrEqual(high + 0.01);
  });

  it("caps a quota above the machine's CPUs at the machine's CPUs", async () => {
    v2Files({ cpuMax: `${machineCpus * 4 * 100_000} 100000` });
    const usedNs = 0.3e9 * machineCpus * 0.5;
    const { usage, low, high } = await measure(
      v2Layout(),
      () => setV2Cpu(usedNs / 1000),
      usedNs,
      machineCpus,
    );
    expect(usage.cpuUsage).toBeGreaterThanOrEqual(low - 0.01);
    expect(usage.cpuUsage).toBeLessThanOrEqual(high + 0.01);
  });

  it("reports memory in use without inactive_file against memory.max", async () => {
    v2Files({ memory: 800 * MiB, inactive: 200 * MiB, memoryMax: String(2048 * MiB) });
    const { memoryUsage } = await new CgroupMetrics(v2Layout()).read();
    expect(memoryUsage).toBeCloseTo((600 * MiB * 100) / Math.min(2048 * MiB, totalmem()), 6);
  });

  it("measures against the machine's memory when memory.max is max", async () => {
    v2Files({ memory: Math.floor(totalmem() / 2), memoryMax: "max" });
    const { memoryUsage } = await new CgroupMetrics(v2Layout()).read();
    expect(memoryUsage).toBeCloseTo(50, 3);
  });

  it("clamps memory to 0..100", async () => {
    v2Files({ memory: 50 * MiB, inactive: 80 * MiB, memoryMax: String(512 * MiB) });
    expect((await new CgroupMetrics(v2Layout()).read()).memoryUsage).toBe(0);

    v2Files({ memory: 600 * MiB, memoryMax: String(512 * MiB) });
    expect((await new CgroupMetrics(v2Layout()).read()).memoryUsage).toBe(100);
  });

  it("reads zero CPU when the counter does not move", async () => {
    v2Files({ usageUsec: 42 });
    const metrics = new CgroupMetrics(v2Layout());
    await sleep(20);
    const usage = await metrics.read();
    expect(usage.cpuUsage).toBe(0);
    expect(usage.memoryUsage).toBe(0);
  });
});
