import { isCaresError } from "@cares/shared";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { InvocationHooks } from "../invoke/invocation-hooks.js";
import type { FunctionRegistry } from "../registry/function-registry.js";
import type { NodeRegistry, NodeStatus } from "../registry/node-registry.js";

/** Seconds; from a quick function to one near the longest timeout. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const NODE_STATUSES: readonly NodeStatus[] = ["Active", "Draining", "Inactive"];
/** The `function` label of calls that named no registered function. */
const UNKNOWN_FUNCTION = "_unknown";

export interface OrchestratorMetricsOptions {
  functions: FunctionRegistry;
  nodes: NodeRegistry;
  /** Asynchronous calls accepted and not ended; read at each scrape. */
  asyncBacklog?: () => number;
}

/**
 * The orchestrator's Prometheus metrics, in a registry of its own so that several
 * orchestrators in one process (tests) do not share counters. Calls are counted through
 * the invoker's hooks; nodes are read from the registry at each scrape.
 */
export class OrchestratorMetrics {
  readonly registry = new Registry();
  readonly #inFlight: Gauge;
  readonly #calls: Counter<"function" | "outcome">;
  readonly #duration: Histogram<"function" | "outcome">;
  readonly #decisions: Counter<"node">;

  constructor(options: OrchestratorMetricsOptions) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "cares_orchestrator_" });
    this.#calls = new Counter({
      name: "cares_invocations_total",
      help: "Calls that ended, by function and outcome (an error code when none ran)",
      labelNames: ["function", "outcome"],
      registers,
    });
    this.#duration = new Histogram({
      name: "cares_invocation_duration_seconds",
      help: "Time from receiving a call to its answer, by function and outcome",
      labelNames: ["function", "outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#decisions = new Counter({
      name: "cares_scheduling_decisions_total",
      help: "Calls the scheduler sent to each node",
      labelNames: ["node"],
      registers,
    });
    this.#inFlight = new Gauge({
      name: "cares_invocations_in_flight",
      help: "Calls received and not yet answered",
      registers,
    });
    const nodes = options.nodes;
    new Gauge({
      name: "cares_nodes",
      help: "Registered nodes by status",
      labelNames: ["status"],
      registers,
      collect() {
        const list = nodes.list();
        for (const status of NODE_STATUSES) {
          this.set({ status }, list.filter((node) => node.status === status).length);
        }
      },
    });
    new Gauge({
      name: "cares_functions",
      help: "Registered functions",
      registers,
      collect() {
        this.set(options.functions.size);
      },
    });
    const backlog = options.asyncBacklog;
    if (backlog) {
      new Gauge({
        name: "cares_async_backlog",
        help: "Asynchronous calls accepted and not yet ended",
        registers,
        collect() {
          this.set(backlog());
        },
      });
    }
  }

  /** The hooks to add to the invoker. */
  hooks(): InvocationHooks {
    const started = new Map<string, number>();
    // A call that got past the look-up names a function that was registered then, even
    // if it has been deleted since; only names never registered share one label.
    const end = (id: string, name: string, outcome: string) => {
      const since = started.get(id);
      started.delete(id);
      this.#inFlight.dec();
      const known = outcome !== "function_not_found";
      const labels = { function: known ? name : UNKNOWN_FUNCTION, outcome };
      this.#calls.inc(labels);
      if (since !== undefined) {
        this.#duration.observe(labels, (performance.now() - since) / 1000);
      }
    };
    return {
      received: (call) => {
        started.set(call.id, performance.now());
        this.#inFlight.inc();
      },
      dispatching: (call) => this.#decisions.inc({ node: call.node.name }),
      completed: (call, invocation) => end(call.id, call.functionName, invocation.result.outcome),
      failed: (call, error) =>
        end(call.id, call.functionName, isCaresError(error) ? error.code : "internal_error"),
    };
  }

  /** The metrics in the Prometheus text format, and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
