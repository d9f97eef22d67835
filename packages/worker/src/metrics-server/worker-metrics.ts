import type { ExecutionResult } from "@cares/shared";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const START_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/**
 * A worker's Prometheus metrics, in a registry of its own: executions by outcome, their
 * durations, engine errors and how long containers take to start.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly #executions: Counter<"outcome">;
  readonly #duration: Histogram<"outcome">;
  readonly #engineErrors: Counter<"kind">;
  readonly #containerStart: Histogram;
  readonly #refused: Counter<"reason">;

  constructor(running: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "cares_worker_" });
    this.#executions = new Counter({
      name: "cares_worker_executions_total",
      help: "Executions that ended, by outcome",
      labelNames: ["outcome"],
      registers,
    });
    this.#duration = new Histogram({
      name: "cares_worker_execution_duration_seconds",
      help: "How long executions took, as the executor measured them, by outcome",
      labelNames: ["outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#engineErrors = new Counter({
      name: "cares_worker_engine_errors_total",
      help: "Executions the engine could not run: image-unavailable or engine-error",
      labelNames: ["kind"],
      registers,
    });
    this.#containerStart = new Histogram({
      name: "cares_worker_container_start_seconds",
      help: "Time from creating a container to its running",
      buckets: START_BUCKETS,
      registers,
    });
    this.#refused = new Counter({
      name: "cares_worker_requests_refused_total",
      help: "Execution requests refused before reaching the engine, by reason",
      labelNames: ["reason"],
      registers,
    });
    new Gauge({
      name: "cares_worker_executions_running",
      help: "Executions running now",
      registers,
      collect() {
        this.set(running());
      },
    });
  }

  executionEnded(result: ExecutionResult): void {
    this.#executions.inc({ outcome: result.outcome });
    this.#duration.observe({ outcome: result.outcome }, result.durationMs / 1000);
    if (result.outcome === "image-unavailable" || result.outcome === "engine-error") {
      this.#engineErrors.inc({ kind: result.outcome });
    }
  }

  containerStarted(ms: number): void {
    this.#containerStart.observe(ms / 1000);
  }

  requestRefused(reason: string): void {
    this.#refused.inc({ reason });
  }
}
