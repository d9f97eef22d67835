import {
  RemoteCallError,
  backoffDelay,
  describeError,
  sleep,
  type Logger,
  type NodeRegistration,
  type OrchestratorClient,
} from "@cares/shared";
import type { MetricsSource } from "../metrics/metrics-source.js";

export type ConnectionState = "connecting" | "registered" | "unreachable" | "stopped";

export interface MembershipOptions {
  client: OrchestratorClient;
  registration: NodeRegistration;
  metrics: MetricsSource;
  /** Calls running now, reported with each heartbeat. */
  running: () => number;
  /** Whether the worker is shutting down, reported with each heartbeat. */
  draining?: () => boolean;
  /** Why the worker cannot run calls now ("" when it can), reported with each heartbeat. */
  health?: () => Promise<string>;
  log: Logger;
  /** The bound on one register or heartbeat call. */
  callTimeoutMs?: number;
  /** Backoff between registration attempts. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** Registration refusals that no retry can fix. */
const FATAL_CODES = new Set(["invalid_argument", "node_name_taken", "unauthenticated"]);

/**
 * Keeps a worker in the cluster: registers with backoff until the orchestrator answers,
 * sends heartbeats with the worker's load, and registers again when the orchestrator
 * says it no longer knows the node (it restarted).
 */
export class Membership {
  readonly #options: Required<MembershipOptions>;
  readonly #stop = new AbortController();
  #nodeId = "";
  #state: ConnectionState = "connecting";
  #loop: Promise<void> | undefined;
  #unhealthyReason = "";

  constructor(options: MembershipOptions) {
    this.#options = {
      callTimeoutMs: 5_000,
      retryBaseMs: 250,
      retryMaxMs: 5_000,
      draining: () => false,
      health: async () => "",
      ...options,
    };
  }

  get nodeId(): string {
    return this.#nodeId;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Registers (retrying until it works) and starts the heartbeat loop. Rejects only
   * when the orchestrator refuses the registration for good, or on stop().
   */
  async start(): Promise<void> {
    const interval = await this.#register();
    this.#loop = this.#heartbeats(interval).catch(() => {});
  }

  async stop(): Promise<void> {
    this.#setState("stopped");
    this.#stop.abort(new Error("stopped"));
    await this.#loop;
  }

  /** Sends a heartbeat now, so the orchestrator learns at once that the node drains. */
  async announceDraining(): Promise<void> {
    await this.#beat().catch(() => {});
  }

  /** Tells the orchestrator the node leaves, then stops the heartbeats. */
  async leave(): Promise<void> {
    const { client, log } = this.#options;
    await this.stop();
    if (!this.#nodeId) return;
    try {
      await client.leave(this.#nodeId, this.#options.callTimeoutMs);
      log.info("Left the cluster.");
    } catch (error) {
      log.warn("Could not tell the orchestrator this node leaves: {error}", {
        error: describeError(error),
      });
    }
  }

  async #beat(): Promise<{ known: boolean }> {
    const { client, metrics, running, log } = this.#options;
    const [usage, unhealthyReason] = await Promise.all([metrics.read(), this.#options.health()]);
    if (unhealthyReason !== this.#unhealthyReason) {
      if (unhealthyReason) log.warn("Cannot run functions: {reason}", { reason: unhealthyReason });
      else log.info("Able to run functions again.");
      this.#unhealthyReason = unhealthyReason;
    }
    return client.heartbeat(
      {
        nodeId: this.#nodeId,
        ...usage,
        runningExecutions: running(),
        draining: this.#options.draining(),
        unhealthyReason,
      },
      this.#options.callTimeoutMs,
    );
  }

  async #register(): Promise<number> {
    const { client, registration, log } = this.#options;
    for (let attempt = 0; ; attempt++) {
      try {
        const grant = await client.register(registration, this.#options.callTimeoutMs);
        this.#nodeId = grant.nodeId;
        this.#setState("registered");
        log.info("Registered with orchestrator at {orchestrator} as node {nodeId}.", {
          orchestrator: client.address,
          nodeId: grant.nodeId,
        });
        return grant.heartbeatIntervalMs || registration.heartbeatIntervalMs;
      } catch (error) {
        if (error instanceof RemoteCallError && FATAL_CODES.has(error.remoteCode)) throw error;
        if (this.#stop.signal.aborted) throw error;
        const delay = backoffDelay(attempt, this.#options.retryBaseMs, this.#options.retryMaxMs);
        if (this.#state !== "unreachable" || attempt % 10 === 0) {
          log.warn("Orchestrator at {orchestrator} not reachable; retrying in {delayMs} ms.", {
            orchestrator: client.address,
            delayMs: delay,
            error: describeError(error),
          });
        }
        this.#setState("unreachable");
        await sleep(delay, this.#stop.signal);
      }
    }
  }

  async #heartbeats(initialInterval: number): Promise<void> {
    const { client, log } = this.#options;
    let interval = initialInterval;
    while (!this.#stop.signal.aborted) {
      const started = Date.now();
      try {
        const { known } = await this.#beat();
        if (this.#state === "unreachable") {
          log.info("Orchestrator at {orchestrator} answers again.", {
            orchestrator: client.address,
          });
        }
        this.#setState("registered");
        if (!known) {
          log.warn("Orchestrator no longer knows this node; registering again.");
          interval = await this.#register();
          continue;
        }
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        if (this.#state !== "unreachable") {
          log.warn("Heartbeat to {orchestrator} failed: {error}", {
            orchestrator: client.address,
            error: describeError(error),
          });
        }
        this.#setState("unreachable");
      }
      const wait = Math.max(0, interval - (Date.now() - started));
      await sleep(wait, this.#stop.signal).catch(() => {});
    }
  }

  #setState(state: ConnectionState): void {
    if (this.#state === "stopped") return;
    this.#state = state;
  }
}
