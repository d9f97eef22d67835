// Runs the real programs in terminals of their own, on a private tmux server, and reads
// what they draw with `tmux capture-pane`.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** The shell command that starts a CARES program from source. */
export function programCommand(file: string, args: string[]): string {
  const quoted = args.map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(" ");
  return `exec '${process.execPath}' --import tsx ${join(ROOT, file)} ${quoted}`;
}

/** A tmux server on its own socket; kill() ends it and every program in it. */
export class Tmux {
  readonly socket = `cares-test-${randomBytes(4).toString("hex")}`;
  #started = false;

  run(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8", cwd: ROOT });
  }

  /** Opens a window named `name` running `command` in a terminal of the given size. */
  open(name: string, command: string, columns = 160, rows = 40): void {
    if (!this.#started) {
      this.run(
        "new-session",
        "-d",
        "-s",
        "cares",
        "-n",
        name,
        "-x",
        `${columns}`,
        "-y",
        `${rows}`,
        command,
      );
      // Keep a window that exits on screen, so that a test failure shows why.
      this.run("set-option", "-g", "remain-on-exit", "on");
      this.#started = true;
    } else {
      this.run("new-window", "-d", "-t", "cares", "-n", name, command);
    }
  }

  /** What the window shows now, as plain text. */
  capture(name: string): string {
    return this.run("capture-pane", "-p", "-t", `cares:${name}`);
  }

  sendKeys(name: string, ...keys: string[]): void {
    this.run("send-keys", "-t", `cares:${name}`, ...keys);
  }

  /** Polls the window until `test` holds for its text; returns that text. */
  async waitFor(name: string, test: (screen: string) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    while (Date.now() < deadline) {
      screen = this.capture(name);
      if (test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`window '${name}' never matched; it shows:\n${screen}`);
  }

  kill(): void {
    if (!this.#started) return;
    this.#started = false;
    try {
      this.run("kill-server");
    } catch {
      // Already gone.
    }
    // tmux leaves its socket file behind.
    const dir = process.env.TMUX_TMPDIR ?? tmpdir();
    rmSync(join(dir, `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
  }
}

/** The index in `screen` of each of `lines` in turn, or -1 from the first one missing. */
export function inOrder(screen: string, lines: readonly string[]): boolean {
  let at = 0;
  for (const line of lines) {
    const found = screen.indexOf(line, at);
    if (found === -1) return false;
    at = found + line.length;
  }
  return true;
}
