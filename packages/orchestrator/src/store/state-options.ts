/** The orchestrator's settings for its database, history, asynchronous calls and limits. */
export interface StateOptions {
  /** The folder of the database; without one the database lives in memory (tests). */
  dataDir: string | undefined;
  historyMaxCount: number;
  historyMaxAgeMs: number;
  maxQueued: number;
  asyncConcurrency: number;
  asyncWaitMs: number;
  maxInFlight: number;
  maxHeaderBytes: number;
}

/** The defaults when an embedding program does not say; the command line states its own. */
export const STATE_DEFAULTS: StateOptions = {
  dataDir: undefined,
  historyMaxCount: 10_000,
  historyMaxAgeMs: 7 * 24 * 3_600_000,
  maxQueued: 1_000,
  asyncConcurrency: 16,
  asyncWaitMs: 60_000,
  maxInFlight: 256,
  maxHeaderBytes: 16 * 1024,
};
