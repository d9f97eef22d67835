import type { LogLineView } from "@cares/shared";

/** A node as the panes and the event stream show it. */
export interface NodeView {
  id: string;
  name: string;
  address: string;
  status: string;
  cpuUsage: number;
  memoryUsage: number;
  cost: number;
  runningExecutions: number;
  /** Milliseconds since the epoch. */
  lastHeartbeatAt: number;
}

/** A function as the panes and the event stream show it. */
export interface FunctionView {
  name: string;
  image: string;
  timeoutMs: number;
}

export interface InvocationStats {
  /** Calls started and not yet answered. */
  inFlight: number;
  /** Calls started per second, over the last few seconds. */
  perSecond: number;
}

/**
 * What travels on `/events`, one JSON object per WebSocket message: a snapshot first,
 * then every change as it happens.
 */
export type ClusterEvent =
  | {
      type: "snapshot";
      cluster: string;
      nodes: NodeView[];
      functions: FunctionView[];
      log: LogLineView[];
      stats: InvocationStats;
    }
  | { type: "node"; node: NodeView }
  | { type: "node-removed"; id: string }
  | { type: "function"; function: FunctionView }
  | { type: "function-removed"; name: string }
  | { type: "log"; line: LogLineView }
  | { type: "stats"; stats: InvocationStats };

/** How a TUI is fed: by the orchestrator it runs in, or by a stream it watches. */
export type Connection = "live" | "connecting" | "connected" | "disconnected";

/** Everything the orchestrator TUI draws. */
export interface ClusterView {
  cluster: string;
  nodes: NodeView[];
  functions: FunctionView[];
  log: LogLineView[];
  stats: InvocationStats;
  connection: Connection;
  /** Where a watched stream comes from; empty for the live TUI. */
  source: string;
}

/** The log lines a view keeps. */
export const VIEW_LOG_LINES = 500;

export function emptyClusterView(connection: Connection, source = ""): ClusterView {
  return {
    cluster: "",
    nodes: [],
    functions: [],
    log: [],
    stats: { inFlight: 0, perSecond: 0 },
    connection,
    source,
  };
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** Applies one event to `view`, in place. */
export function applyClusterEvent(view: ClusterView, event: ClusterEvent): void {
  switch (event.type) {
    case "snapshot":
      view.cluster = event.cluster;
      view.nodes = [...event.nodes].sort(byName);
      view.functions = [...event.functions].sort(byName);
      view.log = event.log.slice(-VIEW_LOG_LINES);
      view.stats = event.stats;
      return;
    case "node":
      view.nodes = [...view.nodes.filter((n) => n.id !== event.node.id), event.node].sort(byName);
      return;
    case "node-removed":
      view.nodes = view.nodes.filter((n) => n.id !== event.id);
      return;
    case "function":
      view.functions = [
        ...view.functions.filter((f) => f.name !== event.function.name),
        event.function,
      ].sort(byName);
      return;
    case "function-removed":
      view.functions = view.functions.filter((f) => f.name !== event.name);
      return;
    case "log": {
      // Lines a worker forwards arrive in batches, after the orchestrator's own lines of
      // the same moment; they are put back in time order.
      let at = view.log.length;
      while (at > 0 && view.log[at - 1]!.time > event.line.time) at--;
      view.log.splice(at, 0, event.line);
      if (view.log.length > VIEW_LOG_LINES) view.log.splice(0, view.log.length - VIEW_LOG_LINES);
      return;
    }
    case "stats":
      view.stats = event.stats;
      return;
  }
}
