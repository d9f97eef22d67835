import { CaresError } from "../errors.js";

/** How an option's text is turned into a value. */
export type OptionKind = "string" | "int" | "port" | "bool";

interface BaseSpec {
  /** The long flag without dashes: `http-port` is given as `--http-port 8080`. */
  flag: string;
  /** The environment variable read when the flag is absent. */
  env?: string;
  description: string;
}

export interface StringSpec extends BaseSpec {
  kind: "string";
  default: string;
  /** When set, the value must be one of these. */
  choices?: readonly string[];
}

export interface NumberSpec extends BaseSpec {
  kind: "int" | "port";
  default: number;
  min?: number;
  max?: number;
}

/** A switch: `--tui`, `--no-tui`, `--tui=false`; in the environment `1`/`0`/`true`/`false`. */
export interface BoolSpec extends BaseSpec {
  kind: "bool";
  default: boolean;
}

export type OptionSpec = StringSpec | NumberSpec | BoolSpec;

type ValueOf<S extends OptionSpec> = S extends BoolSpec
  ? boolean
  : S extends NumberSpec
    ? number
    : string;

/** The resolved values of a set of option specs, keyed like the specs. */
export type OptionValues<T extends Record<string, OptionSpec>> = { [K in keyof T]: ValueOf<T[K]> };

/** Thrown when the command line or the environment holds values that cannot be used. */
export class ConfigError extends CaresError {
  constructor(readonly problems: string[]) {
    super("invalid_config", problems.join("\n"));
  }
}

export type CommandLine<T extends Record<string, OptionSpec>> =
  { help: true; text: string } | { help: false; values: OptionValues<T> };

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

function convert(
  spec: OptionSpec,
  raw: string,
  source: string,
): { value?: unknown; problem?: string } {
  switch (spec.kind) {
    case "bool": {
      const lower = raw.toLowerCase();
      if (TRUE.has(lower)) return { value: true };
      if (FALSE.has(lower)) return { value: false };
      return { problem: `${source} must be true or false (got '${raw}')` };
    }
    case "int":
    case "port": {
      const min = spec.min ?? (spec.kind === "port" ? 0 : Number.MIN_SAFE_INTEGER);
      const max = spec.max ?? (spec.kind === "port" ? 65535 : Number.MAX_SAFE_INTEGER);
      const value = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        const what = spec.kind === "port" ? "a port" : "a whole number";
        return { problem: `${source} must be ${what} from ${min} to ${max} (got '${raw}')` };
      }
      return { value };
    }
    case "string": {
      if (spec.choices && !spec.choices.includes(raw)) {
        return { problem: `${source} must be one of ${spec.choices.join(", ")} (got '${raw}')` };
      }
      return { value: raw };
    }
  }
}

/** Reads `--flag value`, `--flag=value`, `--flag` and `--no-flag` from argv. */
function readArgv(
  specs: Record<string, OptionSpec>,
  argv: readonly string[],
  problems: string[],
): { given: Map<string, string>; help: boolean } {
  const byFlag = new Map(Object.entries(specs).map(([key, spec]) => [spec.flag, key]));
  const given = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      problems.push(`unexpected argument '${arg}'`);
      continue;
    }
    const eq = arg.indexOf("=");
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline = eq === -1 ? undefined : arg.slice(eq + 1);
    let key = byFlag.get(name);
    if (key === undefined && name.startsWith("no-") && inline === undefined) {
      const positive = byFlag.get(name.slice(3));
      if (positive !== undefined && specs[positive]!.kind === "bool") {
        key = positive;
        name = name.slice(3);
        inline = "false";
      }
    }
    if (key === undefined) {
      problems.push(`unknown option '--${name}' (see --help)`);
      continue;
    }
    if (inline === undefined) {
      if (specs[key]!.kind === "bool") {
        inline = "true";
      } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) {
        inline = argv[++i]!;
      } else {
        problems.push(`option '--${name}' needs a value`);
        continue;
      }
    }
    given.set(key, inline);
  }
  return { given, help };
}

/** The `--help` text for a program. */
export function formatHelp(usage: string, specs: Record<string, OptionSpec>): string {
  const rows = Object.values(specs).map((spec) => {
    const flag = spec.kind === "bool" ? `--[no-]${spec.flag}` : `--${spec.flag} <${spec.kind}>`;
    const env = spec.env ? ` [env ${spec.env}]` : "";
    const choices = spec.kind === "string" && spec.choices ? ` (${spec.choices.join("|")})` : "";
    const fallback = `default ${JSON.stringify(spec.default)}`;
    return `  ${flag.padEnd(30)} ${spec.description}${choices}; ${fallback}${env}`;
  });
  return [
    `Usage: ${usage}`,
    "",
    "Options:",
    ...rows,
    `  ${"--help".padEnd(30)} show this text`,
  ].join("\n");
}

/**
 * Resolves every option from the flag, then the environment variable, then the stated
 * default, and validates them all at once. Throws a ConfigError that lists every
 * problem, so a person can fix them in one go.
 */
export function parseCommandLine<T extends Record<string, OptionSpec>>(
  usage: string,
  specs: T,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CommandLine<T> {
  const problems: string[] = [];
  const { given, help } = readArgv(specs, argv, problems);
  if (help) return { help: true, text: formatHelp(usage, specs) };

  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fromFlag = given.get(key);
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (fromFlag !== undefined) {
      const { value, problem } = convert(spec, fromFlag, `--${spec.flag}`);
      if (problem) problems.push(problem);
      values[key] = value;
    } else if (fromEnv !== undefined && fromEnv !== "") {
      const { value, problem } = convert(spec, fromEnv, `${spec.env}`);
      if (problem) problems.push(problem);
      values[key] = value;
    } else {
      values[key] = spec.default;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { help: false, values: values as OptionValues<T> };
}
