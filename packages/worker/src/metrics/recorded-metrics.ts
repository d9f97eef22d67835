import type { MetricsSource, Usage } from "./metrics-source.js";

/** A metrics source that remembers its last reading, for the TUI to show what was reported. */
export class RecordedMetrics implements MetricsSource {
  last: Usage | undefined;

  constructor(private readonly source: MetricsSource) {}

  get name(): string {
    return this.source.name;
  }

  async read(): Promise<Usage> {
    this.last = await this.source.read();
    return this.last;
  }
}
