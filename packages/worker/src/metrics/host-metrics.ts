import { OSUtils } from "node-os-utils";
import type { MetricsSource, Usage } from "./metrics-source.js";

/**
 * The whole machine's load, read through node-os-utils: CPU over a short sampling
 * window, memory as the share of physical memory in use.
 */
export class HostMetrics implements MetricsSource {
  readonly name = "host";
  readonly #os = new OSUtils();
  #last: Usage = { cpuUsage: 0, memoryUsage: 0 };

  async read(): Promise<Usage> {
    const [cpu, memory] = await Promise.all([this.#os.cpu.usage(), this.#os.memory.info()]);
    // A reading that fails keeps the last good value rather than reporting an idle node.
    this.#last = {
      cpuUsage: cpu.success ? cpu.data : this.#last.cpuUsage,
      memoryUsage: memory.success ? memory.data.usagePercentage : this.#last.memoryUsage,
    };
    return this.#last;
  }
}
