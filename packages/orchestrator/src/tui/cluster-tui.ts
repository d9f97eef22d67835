import { TerminalScreen, isQuitKey, type Key, type Logger } from "@cares/shared";
import {
  applyClusterEvent,
  emptyClusterView,
  type ClusterEvent,
  type ClusterView,
  type Connection,
} from "../events/cluster-view.js";
import { promptRegister, promptRemove, type FunctionActions } from "./function-prompts.js";
import { renderClusterFrame } from "./render-cluster.js";

export interface ClusterTuiOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  color: boolean;
  /** `live` runs inside the orchestrator; `watch` draws a stream, read-only. */
  mode: "live" | "watch";
  /** Where a watched stream comes from. */
  source?: string;
  /** Called once when `q` or Ctrl-C is pressed. */
  onQuit: () => void;
  /** Where failures of the `r` and `d` keys are told. */
  log: Logger;
}

/** The orchestrator's TUI: a view fed by cluster events, drawn on a TerminalScreen. */
export class ClusterTui {
  readonly view: ClusterView;
  readonly #options: ClusterTuiOptions;
  readonly #screen: TerminalScreen;
  #actions: FunctionActions | undefined;
  #prompting = false;

  constructor(options: ClusterTuiOptions) {
    this.#options = options;
    this.view = emptyClusterView(
      options.mode === "live" ? "live" : "connecting",
      options.source ?? "",
    );
    this.#screen = new TerminalScreen({
      stdout: options.stdout,
      stdin: options.stdin,
      draw: (size) =>
        renderClusterFrame(this.view, size, {
          color: options.color,
          now: Date.now(),
          mode: options.mode,
        }),
      onKey: (key) => this.#onKey(key),
    });
  }

  start(): void {
    this.#screen.start();
  }

  /** Gives the terminal back as it was. */
  stop(): void {
    this.#screen.stop();
  }

  apply(event: ClusterEvent): void {
    applyClusterEvent(this.view, event);
    this.#screen.invalidate();
  }

  setConnection(connection: Connection): void {
    this.view.connection = connection;
    this.#screen.invalidate();
  }

  /** Turns on the `r` and `d` keys. */
  enableActions(actions: FunctionActions): void {
    this.#actions = actions;
  }

  #onKey(key: Key): void {
    if (isQuitKey(key)) {
      this.#options.onQuit();
      return;
    }
    const actions = this.#actions;
    if (!actions || this.#prompting || this.#options.mode !== "live") return;
    if (key.name === "r") this.#prompt(() => promptRegister(actions, this.#io()));
    if (key.name === "d") this.#prompt(() => promptRemove(actions, this.#io()));
  }

  #io() {
    return { input: this.#options.stdin, output: this.#options.stdout };
  }

  #prompt(task: () => Promise<void>): void {
    this.#prompting = true;
    this.#screen
      .suspend(task)
      .catch((error: unknown) =>
        this.#options.log.warn("Terminal action failed: {error}", {
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => {
        this.#prompting = false;
      });
  }
}
