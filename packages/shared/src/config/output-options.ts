import { LOG_FORMATS } from "../logging/format.js";
import { LOG_LEVELS } from "../logging/logger.js";
import { ConfigError } from "./options.js";

/**
 * How a program shows what it does: the TUI, or lines of text or JSON. Both programs
 * take these.
 */
export const OUTPUT_OPTIONS = {
  tui: {
    flag: "tui",
    env: "CARES_TUI",
    kind: "bool",
    default: true,
    description: "draw the terminal UI when standard output is a terminal",
  },
  logFormat: {
    flag: "log-format",
    env: "CARES_LOG_FORMAT",
    kind: "string",
    choices: LOG_FORMATS,
    default: "plain",
    description: "how log lines are printed without the terminal UI",
  },
  logLevel: {
    flag: "log-level",
    env: "CARES_LOG_LEVEL",
    kind: "string",
    choices: LOG_LEVELS,
    default: "info",
    description: "the least severe level printed",
  },
} as const;

/**
 * Loads a program's settings the way a command-line program should: prints the help and
 * returns undefined for `--help`; prints each problem as `program: problem` and exits 2
 * when the settings are wrong.
 */
export function settingsOrExit<T>(
  program: string,
  load: (
    argv: readonly string[],
    env: Readonly<Record<string, string | undefined>>,
  ) => { help: string } | { config: T },
): T | undefined {
  let loaded;
  try {
    loaded = load(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${program}: ${problem}\n`);
    process.exit(2);
  }
  if ("help" in loaded) {
    process.stdout.write(`${loaded.help}\n`);
    return undefined;
  }
  return loaded.config;
}
