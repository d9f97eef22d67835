import { TerminalScreen, isQuitKey, type LogRecord } from "@cares/shared";
import { renderWorkerFrame } from "./render-worker.js";
import { applyWorkerRecord, emptyWorkerView, type WorkerView } from "./worker-view.js";

export interface WorkerTuiOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  color: boolean;
  orchestrator: string;
  /** Called once when `q` or Ctrl-C is pressed. */
  onQuit: () => void;
}

/** The worker's TUI: its own log records, drawn on a TerminalScreen. */
export class WorkerTui {
  readonly view: WorkerView;
  readonly #screen: TerminalScreen;

  constructor(options: WorkerTuiOptions) {
    this.view = emptyWorkerView(options.orchestrator);
    this.#screen = new TerminalScreen({
      stdout: options.stdout,
      stdin: options.stdin,
      draw: (size) => renderWorkerFrame(this.view, size, { color: options.color, now: Date.now() }),
      onKey: (key) => {
        if (isQuitKey(key)) options.onQuit();
      },
    });
  }

  /** A log sink that draws each record in the panes. */
  readonly sink = (record: LogRecord): void => {
    applyWorkerRecord(this.view, record);
    this.#screen.invalidate();
  };

  /** Updates what the header shows of the connection and the reported load. */
  update(status: Partial<Pick<WorkerView, "connection" | "cpuUsage" | "memoryUsage">>): void {
    Object.assign(this.view, status);
    this.#screen.invalidate();
  }

  start(): void {
    this.#screen.start();
  }

  stop(): void {
    this.#screen.stop();
  }
}
