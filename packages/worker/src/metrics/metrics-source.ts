/** A worker's load at one moment, in percent from 0 to 100. */
export interface Usage {
  cpuUsage: number;
  memoryUsage: number;
}

/** Where a worker reads its load from. */
export interface MetricsSource {
  readonly name: string;
  read(): Promise<Usage>;
}
