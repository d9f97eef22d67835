import type { LogSink, OrchestratorClient, RemoteLogLine } from "@cares/shared";

export interface LogForwarderOptions {
  /** Lines kept while the orchestrator cannot take them; the oldest are dropped first. */
  maxQueued?: number;
  /** How long lines wait to be sent together. */
  flushMs?: number;
  /** The bound on one ReportLogs call. */
  callTimeoutMs?: number;
}

/**
 * Sends the worker's log lines to the orchestrator over ReportLogs, so that its event
 * stream tells the whole cluster's story. Lines wait in a bounded queue until the
 * worker has a node id; failures are never logged, which would only feed the queue.
 */
export class LogForwarder {
  readonly #maxQueued: number;
  readonly #flushMs: number;
  readonly #callTimeoutMs: number;
  #queue: RemoteLogLine[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending = false;
  #target: { client: OrchestratorClient; nodeId: () => string } | undefined;

  constructor(options: LogForwarderOptions = {}) {
    this.#maxQueued = options.maxQueued ?? 1_000;
    this.#flushMs = options.flushMs ?? 100;
    this.#callTimeoutMs = options.callTimeoutMs ?? 2_000;
  }

  readonly sink: LogSink = (record) => {
    this.#queue.push({
      time: record.time,
      level: record.level,
      message: record.message,
      fields: record.fields,
    });
    if (this.#queue.length > this.#maxQueued) {
      this.#queue.splice(0, this.#queue.length - this.#maxQueued);
    }
    this.#schedule();
  };

  /** Starts sending, as node `nodeId()` (empty while the worker is not registered). */
  connect(client: OrchestratorClient, nodeId: () => string): void {
    this.#target = { client, nodeId };
    this.#schedule();
  }

  /** Sends what is queued now, once; for shutdown. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#send();
  }

  #schedule(): void {
    if (this.#timer || !this.#target) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#send().then(() => {
        if (this.#queue.length > 0) this.#schedule();
      });
    }, this.#flushMs);
    this.#timer.unref();
  }

  async #send(): Promise<void> {
    const target = this.#target;
    const nodeId = target?.nodeId();
    if (!target || !nodeId || this.#sending || this.#queue.length === 0) return;
    this.#sending = true;
    const batch = this.#queue;
    this.#queue = [];
    try {
      // Lines the orchestrator does not take (it forgot the node) are dropped.
      await target.client.reportLogs(nodeId, batch, this.#callTimeoutMs);
    } catch {
      this.#queue = [...batch, ...this.#queue].slice(-this.#maxQueued);
      await new Promise((resolve) => setTimeout(resolve, 500).unref());
    } finally {
      this.#sending = false;
    }
  }
}
