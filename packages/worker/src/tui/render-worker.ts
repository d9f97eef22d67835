import {
  clipLine,
  createPainter,
  paintLines,
  renderLogLines,
  renderTable,
  span,
  stack,
  titleRule,
  type Column,
  type FrameSize,
  type Line,
} from "@cares/shared";
import type { ExecutionView, WorkerView } from "./worker-view.js";

export interface WorkerFrameOptions {
  color: boolean;
  /** The time running calls are timed to, in milliseconds since the epoch. */
  now: number;
}

type Row = ExecutionView & { now: number };

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

const EXECUTION_COLUMNS: Column<Row>[] = [
  { title: "CALL", width: 8, value: (e) => e.invocation.slice(0, 8) },
  { title: "IMAGE", width: 36, minWidth: 10, value: (e) => e.image },
  {
    title: "STATE",
    width: 17,
    minWidth: 9,
    value: (e) => e.outcome ?? "running",
    style: (e) => (e.outcome === undefined ? "cyan" : e.outcome === "succeeded" ? "green" : "red"),
  },
  {
    title: "DURATION",
    width: 8,
    align: "right",
    value: (e) => seconds(e.durationMs ?? e.now - e.startedAt),
  },
  {
    title: "EXIT",
    width: 4,
    align: "right",
    value: (e) => (e.exitCode === undefined || e.exitCode < 0 ? "-" : String(e.exitCode)),
  },
];

function header(view: WorkerView, width: number): Line {
  const sep = span(" │ ", "dim");
  const connected = view.connection === "registered";
  const usage = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(1));
  return clipLine(
    [
      span(" CARES worker ", ["bold", "inverse"]),
      span(" "),
      span(view.node || "…", "bold"),
      span(view.nodeId ? ` (${view.nodeId.slice(0, 8)})` : "", "dim"),
      sep,
      span(`orchestrator ${view.orchestrator} `),
      span(view.connection, connected ? "green" : "yellow"),
      sep,
      span(`cpu ${usage(view.cpuUsage)}%  mem ${usage(view.memoryUsage)}%`),
    ],
    width,
  );
}

/**
 * The worker TUI's frame: header, executions, log and keys, in exactly `size.rows`
 * lines of at most `size.columns` columns. A pure function of its inputs.
 */
export function renderWorkerFrame(
  view: WorkerView,
  size: FrameSize,
  options: WorkerFrameOptions,
): string[] {
  const { columns: width, rows } = size;
  if (rows <= 0 || width <= 0) return [];
  const top = [header(view, width)];
  const bottom: Line[] =
    rows >= 3 ? [clipLine([span(" q ", "inverse"), span(" quit")], width)] : [];
  const room = rows - top.length - bottom.length;

  const middle: Line[] = [];
  if (room >= 10) {
    // Newest first, so that the calls running now stay in sight.
    const calls = [...view.executions].reverse().map((e) => ({ ...e, now: options.now }));
    const shown = Math.max(1, Math.min(calls.length, Math.floor(room * 0.3)));
    middle.push(titleRule("Executions", width, `(${view.executions.length})`));
    middle.push(...renderTable(EXECUTION_COLUMNS, calls, width, shown, "no calls yet"));
  }
  middle.push(titleRule("Log", width));
  middle.push(...renderLogLines(view.log, width, Math.max(0, room - middle.length)));
  return paintLines(stack(top, middle, bottom, rows), createPainter(options.color));
}
