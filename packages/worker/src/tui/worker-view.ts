import type { LogLineView, LogRecord } from "@cares/shared";

/** One call as the executions pane shows it. */
export interface ExecutionView {
  invocation: string;
  image: string;
  startedAt: number;
  /** Set once the call has ended. */
  durationMs?: number;
  exitCode?: number;
  outcome?: string;
}

/** Everything the worker TUI draws. */
export interface WorkerView {
  node: string;
  nodeId: string;
  address: string;
  orchestrator: string;
  connection: string;
  cpuUsage?: number;
  memoryUsage?: number;
  /** Running calls and the most recent ended ones, oldest first. */
  executions: ExecutionView[];
  log: LogLineView[];
}

const KEPT_EXECUTIONS = 50;
const KEPT_LINES = 500;

export function emptyWorkerView(orchestrator: string, node = ""): WorkerView {
  return {
    node,
    nodeId: "",
    address: "",
    orchestrator,
    connection: "connecting",
    executions: [],
    log: [],
  };
}

const text = (value: unknown) => (typeof value === "string" ? value : "");

/**
 * Applies one of the worker's own log records to `view`, in place: the line joins the
 * log pane, and the records of the execution narrative start and end calls.
 * Limitation: the executions pane is read from the narrative's fields (`invocation`,
 * `image`, `outcome`, `exitCode`, `durationMs`), so it follows what the worker logs.
 */
export function applyWorkerRecord(view: WorkerView, record: LogRecord): void {
  const { fields } = record;
  view.log.push({
    time: record.time.getTime(),
    level: record.level,
    source: text(fields.node) || view.node || "worker",
    message: record.message,
  });
  if (view.log.length > KEPT_LINES) view.log.splice(0, view.log.length - KEPT_LINES);

  if (text(fields.node) && !view.node) view.node = text(fields.node);
  if (record.template.startsWith("Worker '{node}' serving calls on")) {
    view.address = text(fields.address);
  }
  if (record.template.startsWith("Registered with orchestrator")) {
    view.nodeId = text(fields.nodeId);
    view.connection = "registered";
  }
  if (record.template.includes("not reachable")) view.connection = "unreachable";

  const invocation = text(fields.invocation);
  if (!invocation) return;
  const known = view.executions.find((e) => e.invocation === invocation);
  if (record.template.startsWith("Received execution request") && !known) {
    view.executions.push({
      invocation,
      image: text(fields.image),
      startedAt: record.time.getTime(),
    });
    if (view.executions.length > KEPT_EXECUTIONS) {
      const ended = view.executions.findIndex((e) => e.outcome !== undefined);
      view.executions.splice(ended === -1 ? 0 : ended, 1);
    }
  } else if (known && typeof fields.outcome === "string") {
    known.outcome = fields.outcome;
    known.exitCode = typeof fields.exitCode === "number" ? fields.exitCode : undefined;
    known.durationMs =
      typeof fields.durationMs === "number"
        ? fields.durationMs
        : record.time.getTime() - known.startedAt;
  }
}
