import {
  createPainter,
  paintLines,
  renderLogLines,
  renderTable,
  span,
  stack,
  titleRule,
  clipLine,
  type Column,
  type FrameSize,
  type Line,
} from "@cares/shared";
import type { ClusterView, FunctionView, NodeView } from "../events/cluster-view.js";

export interface ClusterFrameOptions {
  color: boolean;
  /** The time ages are measured to, in milliseconds since the epoch. */
  now: number;
  /** `live` offers the keys that change the cluster; `watch` is read-only. */
  mode: "live" | "watch";
}

const percent = (value: number) => `${value.toFixed(1)}`;

const NODE_COLUMNS: Column<NodeView & { now: number }>[] = [
  { title: "NODE", width: 18, minWidth: 8, value: (n) => n.name },
  { title: "ADDRESS", width: 21, minWidth: 9, value: (n) => n.address },
  {
    title: "STATUS",
    width: 8,
    value: (n) => n.status,
    style: (n) => (n.status === "Active" ? "green" : "red"),
  },
  { title: "CPU %", width: 6, align: "right", value: (n) => percent(n.cpuUsage) },
  { title: "MEM %", width: 6, align: "right", value: (n) => percent(n.memoryUsage) },
  { title: "COST", width: 6, align: "right", value: (n) => percent(n.cost) },
  { title: "RUNS", width: 4, align: "right", value: (n) => String(n.runningExecutions) },
  {
    title: "BEAT",
    width: 6,
    align: "right",
    value: (n) => `${Math.max(0, (n.now - n.lastHeartbeatAt) / 1000).toFixed(1)}s`,
  },
];

const FUNCTION_COLUMNS: Column<FunctionView>[] = [
  { title: "FUNCTION", width: 24, minWidth: 8, value: (f) => f.name },
  { title: "IMAGE", width: 48, minWidth: 10, value: (f) => f.image },
  { title: "TIMEOUT", width: 8, align: "right", value: (f) => `${f.timeoutMs / 1000}s` },
];

function header(view: ClusterView, width: number, mode: ClusterFrameOptions["mode"]): Line {
  const active = view.nodes.filter((n) => n.status === "Active").length;
  const sep = span(" │ ", "dim");
  const line: Line = [
    span(" CARES ", ["bold", "inverse"]),
    span(" cluster "),
    span(view.cluster || "…", "bold"),
    sep,
    span(`nodes ${active}/${view.nodes.length} active`),
    sep,
    span(`functions ${view.functions.length}`),
    sep,
    span(`in flight ${view.stats.inFlight}`),
    sep,
    span(`${view.stats.perSecond.toFixed(1)}/s`),
  ];
  if (mode === "watch") {
    const style = view.connection === "connected" ? "green" : "yellow";
    line.push(sep, span(`${view.connection} `, style), span(view.source, "dim"));
  }
  return clipLine(line, width);
}

function footer(width: number, mode: ClusterFrameOptions["mode"]): Line {
  const key = (name: string, what: string) => [span(` ${name} `, "inverse"), span(` ${what}  `)];
  const keys =
    mode === "live"
      ? [...key("r", "register"), ...key("d", "remove"), ...key("q", "quit")]
      : [...key("q", "quit"), span("read-only view", "dim")];
  return clipLine(keys, width);
}

/**
 * The orchestrator TUI's frame: header, nodes, functions, log and keys, in exactly
 * `size.rows` lines of at most `size.columns` columns. A pure function of its inputs.
 */
export function renderClusterFrame(
  view: ClusterView,
  size: FrameSize,
  options: ClusterFrameOptions,
): string[] {
  const { columns: width, rows } = size;
  if (rows <= 0 || width <= 0) return [];
  const top: Line[] = [header(view, width, options.mode)];
  const bottom: Line[] = rows >= 3 ? [footer(width, options.mode)] : [];

  // The tables get a share of the height; the log gets the rest, at least a few lines.
  const room = rows - top.length - bottom.length;
  const nodeRows = Math.max(1, Math.min(view.nodes.length, Math.floor(room * 0.25)));
  const functionRows = Math.max(1, Math.min(view.functions.length, Math.floor(room * 0.2)));
  const middle: Line[] = [];
  if (room >= 12) {
    const rowsWithNow = view.nodes.map((n) => ({ ...n, now: options.now }));
    middle.push(titleRule("Nodes", width, `(${view.nodes.length})`));
    middle.push(...renderTable(NODE_COLUMNS, rowsWithNow, width, nodeRows, "no nodes yet"));
    middle.push(titleRule("Functions", width, `(${view.functions.length})`));
    middle.push(
      ...renderTable(FUNCTION_COLUMNS, view.functions, width, functionRows, "no functions yet"),
    );
  }
  middle.push(titleRule("Log", width));
  const logRows = Math.max(0, room - middle.length);
  middle.push(...renderLogLines(view.log, width, logRows));

  return paintLines(stack(top, middle, bottom, rows), createPainter(options.color));
}
