import { RingBuffer, type LogLineView, type LogSink, type RemoteLogLine } from "@cares/shared";
import type { FunctionRegistry, FunctionSpec } from "../registry/function-registry.js";
import type { NodeRecord, NodeRegistry } from "../registry/node-registry.js";
import { nodeCost } from "../scheduler/scheduler.js";
import type { ClusterEvent, FunctionView, InvocationStats, NodeView } from "./cluster-view.js";

/** The source tag of the orchestrator's own log lines. */
export const ORCHESTRATOR_SOURCE = "orchestrator";

/** The window over which invocations per second are counted. */
const RATE_WINDOW_MS = 5_000;

export function toNodeView(node: NodeRecord): NodeView {
  return {
    id: node.id,
    name: node.name,
    address: node.address,
    status: node.status,
    cpuUsage: node.cpuUsage,
    memoryUsage: node.memoryUsage,
    cost: nodeCost(node),
    runningExecutions: node.runningExecutions,
    lastHeartbeatAt: node.lastHeartbeatAt,
  };
}

export function toFunctionView(spec: FunctionSpec): FunctionView {
  return { name: spec.name, image: spec.image, timeoutMs: spec.timeoutMs };
}

export interface ClusterEventsOptions {
  cluster: string;
  /** Log lines kept for the snapshot a new viewer gets. */
  logLines?: number;
}

/**
 * The cluster's story as events: node and function changes, invocation counts and every
 * log line, the orchestrator's own and those its workers forward. The TUI and each
 * `/events` viewer subscribe; a new subscriber starts from snapshot().
 */
export class ClusterEvents {
  readonly cluster: string;
  readonly #log: RingBuffer<LogLineView>;
  readonly #listeners = new Set<(event: ClusterEvent) => void>();
  #nodes: NodeRegistry | undefined;
  #functions: FunctionRegistry | undefined;
  #inFlight = 0;
  #starts: number[] = [];
  #lastStats: InvocationStats = { inFlight: 0, perSecond: 0 };
  #ticker: NodeJS.Timeout | undefined;
  readonly #queue: ClusterEvent[] = [];
  #draining = false;

  constructor(options: ClusterEventsOptions) {
    this.cluster = options.cluster;
    this.#log = new RingBuffer(options.logLines ?? 200);
  }

  /** Follows the registries until the returned function is called. */
  attach(nodes: NodeRegistry, functions: FunctionRegistry): () => void {
    this.#nodes = nodes;
    this.#functions = functions;
    const stopNodes = nodes.onChange((node, removed) =>
      this.#publish(
        removed ? { type: "node-removed", id: node.id } : { type: "node", node: toNodeView(node) },
      ),
    );
    const stopFunctions = functions.onChange((spec, removed) =>
      this.#publish(
        removed
          ? { type: "function-removed", name: spec.name }
          : { type: "function", function: toFunctionView(spec) },
      ),
    );
    // What the registries held before this (functions read from the database at start)
    // reaches those already following, as it would had it been added now.
    for (const spec of functions.list()) {
      this.#publish({ type: "function", function: toFunctionView(spec) });
    }
    for (const node of nodes.list()) this.#publish({ type: "node", node: toNodeView(node) });
    // The rate falls as time passes with no calls, so it is recomputed each second.
    this.#ticker = setInterval(() => this.#publishStats(), 1_000);
    this.#ticker.unref();
    return () => {
      stopNodes();
      stopFunctions();
      clearInterval(this.#ticker);
    };
  }

  /** A log sink that adds the orchestrator's own lines to the story. */
  readonly logSink: LogSink = (record) => {
    this.#addLine({
      time: record.time.getTime(),
      level: record.level,
      source: ORCHESTRATOR_SOURCE,
      message: record.message,
    });
  };

  /** Adds lines a worker forwarded, tagged with its name. */
  addRemoteLines(node: string, lines: readonly RemoteLogLine[]): void {
    for (const line of lines) {
      this.#addLine({
        time: line.time.getTime(),
        level: line.level,
        source: node,
        message: line.message,
      });
    }
  }

  invocationStarted(): void {
    this.#inFlight++;
    this.#starts.push(Date.now());
    this.#publishStats();
  }

  invocationFinished(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#publishStats();
  }

  /** Everything a new subscriber needs before the live events. */
  snapshot(): ClusterEvent {
    return {
      type: "snapshot",
      cluster: this.cluster,
      nodes: (this.#nodes?.list() ?? []).map(toNodeView),
      functions: (this.#functions?.list() ?? []).map(toFunctionView),
      log: this.#log.toArray(),
      stats: this.#stats(),
    };
  }

  /**
   * Calls `listener` with the snapshot, then with every event, in order, until the
   * returned function is called. Listeners must not block: a slow consumer queues on
   * its own side.
   */
  subscribe(listener: (event: ClusterEvent) => void): () => void {
    listener(this.snapshot());
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #addLine(line: LogLineView): void {
    this.#log.push(line);
    this.#publish({ type: "log", line });
  }

  #stats(): InvocationStats {
    const since = Date.now() - RATE_WINDOW_MS;
    this.#starts = this.#starts.filter((time) => time >= since);
    const perSecond = Math.round((this.#starts.length / (RATE_WINDOW_MS / 1000)) * 10) / 10;
    return { inFlight: this.#inFlight, perSecond };
  }

  #publishStats(): void {
    const stats = this.#stats();
    const last = this.#lastStats;
    if (stats.inFlight === last.inFlight && stats.perSecond === last.perSecond) return;
    this.#lastStats = stats;
    this.#publish({ type: "stats", stats });
  }

  #publish(event: ClusterEvent): void {
    // A listener may log (a viewer dropped) while an event is handed out; its line is
    // queued behind that event, so that every listener sees the same order.
    this.#queue.push(event);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        for (const listener of [...this.#listeners]) listener(next);
      }
    } finally {
      this.#draining = false;
    }
  }
}
