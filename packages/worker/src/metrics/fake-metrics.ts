import type { MetricsSource, Usage } from "./metrics-source.js";

/**
 * A metrics source that reports fixed usage, for tests and simulations where the real
 * load of a shared machine would only add noise.
 */
export class FakeMetrics implements MetricsSource {
  readonly name = "fake";

  constructor(public usage: Usage = { cpuUsage: 0, memoryUsage: 0 }) {}

  async read(): Promise<Usage> {
    return { ...this.usage };
  }
}

/** Reads `"cpu,memory"` in percent, e.g. `"10,20"`; undefined when it is not that. */
export function parseFakeUsage(text: string): Usage | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!match) return undefined;
  const cpuUsage = Number(match[1]);
  const memoryUsage = Number(match[2]);
  return cpuUsage <= 100 && memoryUsage <= 100 ? { cpuUsage, memoryUsage } : undefined;
}
