import { emitKeypressEvents } from "node:readline";
import { createLogUpdate } from "log-update";
import type { FrameSize } from "./layout.js";

/** A key as node:readline reports it. */
export interface Key {
  name?: string;
  sequence?: string;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
}

export interface ScreenOptions {
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /**
   * Draws the whole frame in `size`, at most `size.rows` lines. The size is one row
   * shorter than the terminal: log-update ends each frame with a newline, and a frame as
   * tall as the terminal would scroll it.
   */
  draw: (size: FrameSize) => string[];
  onKey: (key: Key) => void;
  /** The shortest time between two redraws; 50 ms, so at most 20 a second. */
  minFrameMs?: number;
  /** Redraws this often even when nothing asked for it (ages and rates move); 1 s. */
  tickMs?: number;
}

const ALT_SCREEN_ON = "\u001b[?1049h";
const ALT_SCREEN_OFF = "\u001b[?1049l";
const CURSOR_HIDE = "\u001b[?25l";
const CURSOR_SHOW = "\u001b[?25h";
const CLEAR_HOME = "\u001b[2J\u001b[H";

/**
 * Owns the terminal while a TUI runs: draws frames through log-update on the alternate
 * screen (so the shell's scrollback is left as it was), throttles redraws, follows
 * resizes, reads keys in raw mode, and gives everything back on stop().
 */
export class TerminalScreen {
  readonly #options: Required<ScreenOptions>;
  #update: ReturnType<typeof createLogUpdate>;
  #state: "idle" | "running" | "paused" | "stopped" = "idle";
  #lastDraw = 0;
  #pending: NodeJS.Timeout | undefined;
  #ticker: NodeJS.Timeout | undefined;
  readonly #onKeypress = (_text: string | undefined, key: Key | undefined) => {
    if (key && this.#state === "running") this.#options.onKey(key);
  };
  readonly #onResize = () => {
    if (this.#state !== "running") return;
    this.#clear();
    this.#drawNow();
  };

  constructor(options: ScreenOptions) {
    this.#options = { minFrameMs: 50, tickMs: 1_000, ...options };
    this.#update = this.#newUpdate();
  }

  /** The terminal's size now. */
  get size(): FrameSize {
    return { columns: this.#options.stdout.columns || 80, rows: this.#options.stdout.rows || 24 };
  }

  get running(): boolean {
    return this.#state === "running";
  }

  start(): void {
    if (this.#state !== "idle") return;
    const { stdout } = this.#options;
    stdout.write(ALT_SCREEN_ON + CURSOR_HIDE + CLEAR_HOME);
    stdout.on("resize", this.#onResize);
    this.#listen();
    this.#ticker = setInterval(() => this.invalidate(), this.#options.tickMs);
    this.#ticker.unref();
    this.#state = "running";
    this.#drawNow();
  }

  /** Asks for a redraw; several asks within one frame interval make one redraw. */
  invalidate(): void {
    if (this.#state !== "running" || this.#pending) return;
    const wait = this.#lastDraw + this.#options.minFrameMs - Date.now();
    if (wait <= 0) {
      this.#drawNow();
      return;
    }
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      if (this.#state === "running") this.#drawNow();
    }, wait);
  }

  /**
   * Runs `task` (a prompt) with the panes paused, the screen cleared and the keys
   * released, then takes the terminal back and redraws.
   */
  async suspend<T>(task: () => Promise<T>): Promise<T> {
    if (this.#state !== "running") return task();
    this.#state = "paused";
    this.#unlisten();
    this.#clear();
    this.#options.stdout.write(CURSOR_SHOW);
    try {
      return await task();
    } finally {
      if (this.#state === "paused") {
        this.#state = "running";
        this.#options.stdout.write(CURSOR_HIDE);
        this.#clear();
        this.#listen();
        this.#drawNow();
      }
    }
  }

  /** Gives the terminal back as it was: main screen, cursor shown, cooked mode. */
  stop(): void {
    if (this.#state === "stopped" || this.#state === "idle") {
      this.#state = "stopped";
      return;
    }
    this.#state = "stopped";
    clearTimeout(this.#pending);
    clearInterval(this.#ticker);
    this.#unlisten();
    this.#options.stdout.off("resize", this.#onResize);
    this.#update.done();
    this.#options.stdout.write(CURSOR_SHOW + ALT_SCREEN_OFF);
  }

  #newUpdate() {
    // showCursor: the cursor is hidden here, on stdout; log-update would hide it on stderr.
    return createLogUpdate(this.#options.stdout, { showCursor: true });
  }

  #drawNow(): void {
    this.#lastDraw = Date.now();
    const { columns, rows } = this.size;
    const size = { columns, rows: Math.max(0, rows - 1) };
    const lines = this.#options.draw(size).slice(0, size.rows);
    this.#update(lines.join("\n"));
  }

  #clear(): void {
    this.#options.stdout.write(CLEAR_HOME);
    this.#update.done();
    this.#update = this.#newUpdate();
  }

  #listen(): void {
    const { stdin } = this.#options;
    emitKeypressEvents(stdin);
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on("keypress", this.#onKeypress);
    stdin.resume();
  }

  #unlisten(): void {
    const { stdin } = this.#options;
    stdin.off("keypress", this.#onKeypress);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
  }
}

/** True for the keys that quit every CARES TUI: `q` and Ctrl-C. */
export function isQuitKey(key: Key): boolean {
  return key.name === "q" || (key.ctrl === true && key.name === "c");
}
