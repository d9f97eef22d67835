import { CgroupMetrics } from "./cgroup-metrics.js";
import { FakeMetrics, parseFakeUsage } from "./fake-metrics.js";
import { HostMetrics } from "./host-metrics.js";
import type { MetricsSource } from "./metrics-source.js";

/** Settings a metrics source may read. */
export interface MetricsSettings {
  /** For `fake`: the usage to report, `"cpu,memory"` in percent. */
  fakeUsage?: string;
}

/** The metrics sources that ship with CARES, by name, registered in one place. */
export const METRICS_SOURCES: Record<string, (settings: MetricsSettings) => MetricsSource> = {
  host: () => new HostMetrics(),
  cgroup: () => new CgroupMetrics(),
  fake: (settings) => new FakeMetrics(parseFakeUsage(settings.fakeUsage ?? "0,0")),
};
