import { describe, expect, it } from "vitest";
import { CaresError } from "../src/errors.js";
import {
  ConfigError,
  formatHelp,
  parseCommandLine,
  type OptionSpec,
} from "../src/config/options.js";

const SPECS = {
  host: {
    flag: "host",
    env: "APP_HOST",
    kind: "string",
    default: "127.0.0.1",
    description: "where to listen",
  },
  port: {
    flag: "port",
    env: "APP_PORT",
    kind: "port",
    default: 8080,
    description: "the port",
  },
  workers: {
    flag: "workers",
    kind: "int",
    min: 1,
    max: 16,
    default: 4,
    description: "how many workers",
  },
  offset: {
    flag: "offset",
    kind: "int",
    default: 0,
    description: "a signed number",
  },
  tui: {
    flag: "tui",
    env: "APP_TUI",
    kind: "bool",
    default: true,
    description: "draw the UI",
  },
  mode: {
    flag: "mode",
    env: "APP_MODE",
    kind: "string",
    choices: ["plain", "json"],
    default: "plain",
    description: "log format",
  },
} satisfies Record<string, OptionSpec>;

const USAGE = "app [options]";

/** Parses and expects values rather than help. */
function values(argv: string[], env: Record<string, string | undefined> = {}) {
  const parsed = parseCommandLine(USAGE, SPECS, argv, env);
  if (parsed.help) throw new Error("expected values, got help");
  return parsed.values;
}

/** Parses and returns the problems of the ConfigError it must throw. */
function problems(argv: string[], env: Record<string, string | undefined> = {}): string[] {
  try {
    parseCommandLine(USAGE, SPECS, argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("parseCommandLine: where values come from", () => {
  it("uses every default when neither flag nor env is given", () => {
    expect(values([])).toEqual({
      host: "127.0.0.1",
      port: 8080,
      workers: 4,
      offset: 0,
      tui: true,
      mode: "plain",
    });
  });

  it("takes the environment over the default", () => {
    const got = values([], {
      APP_HOST: "0.0.0.0",
      APP_PORT: "9000",
      APP_TUI: "0",
      APP_MODE: "json",
    });
    expect(got).toMatchObject({ host: "0.0.0.0", port: 9000, tui: false, mode: "json" });
  });

  it("takes the flag over the environment", () => {
    const got = values(["--port", "7000", "--host=::1"], { APP_PORT: "9000", APP_HOST: "0.0.0.0" });
    expect(got.port).toBe(7000);
    expect(got.host).toBe("::1");
  });

  it("treats an empty environment variable as unset", () => {
    expect(values([], { APP_PORT: "", APP_TUI: "" })).toMatchObject({ port: 8080, tui: true });
  });

  it("ignores environment variables no spec names", () => {
    expect(values([], { PORT: "1", WORKERS: "2" })).toMatchObject({ port: 8080, workers: 4 });
  });

  it("lets the last of a repeated flag win", () => {
    expect(values(["--port", "1", "--port", "2"]).port).toBe(2);
  });

  it("skips a bare '--'", () => {
    expect(values(["--", "--port", "3"]).port).toBe(3);
  });
});

describe("parseCommandLine: flag forms", () => {
  it("reads --flag value and --flag=value alike", () => {
    expect(values(["--workers", "8"]).workers).toBe(8);
    expect(values(["--workers=8"]).workers).toBe(8);
  });

  it("keeps everything after the first '=' as the value", () => {
    expect(values(["--host=a=b"]).host).toBe("a=b");
  });

  it("accepts a value that starts with a single dash", () => {
    expect(values(["--offset", "-5"]).offset).toBe(-5);
  });

  it("turns a bare bool flag on and --no-flag off, over the environment", () => {
    expect(values(["--tui"], { APP_TUI: "false" }).tui).toBe(true);
    expect(values(["--no-tui"], { APP_TUI: "true" }).tui).toBe(false);
  });

  it.each([
    ["true", true],
    ["1", true],
    ["yes", true],
    ["ON", true],
    ["false", false],
    ["0", false],
    ["no", false],
    ["Off", false],
  ])("reads --tui=%s as %s", (text, expected) => {
    expect(values([`--tui=${text}`]).tui).toBe(expected);
    expect(values([], { APP_TUI: text }).tui).toBe(expected);
  });

  it("does not take the next argument as a bool's value", () => {
    expect(problems(["--tui", "false"])).toEqual(["unexpected argument 'false'"]);
  });

  it("refuses --no- for options that are not switches", () => {
    expect(problems(["--no-port"])).toEqual(["unknown option '--no-port' (see --help)"]);
  });

  it("refuses --no-flag=value", () => {
    expect(problems(["--no-tui=true"])).toEqual(["unknown option '--no-tui' (see --help)"]);
  });

  it("refuses a value-taking flag given last without its value", () => {
    expect(problems(["--port"])).toEqual(["option '--port' needs a value"]);
  });

  it("refuses a value-taking flag followed by another flag", () => {
    expect(problems(["--host", "--tui"])).toEqual(["option '--host' needs a value"]);
  });

  it("refuses unknown flags and positional arguments", () => {
    expect(problems(["--colour", "serve"])).toEqual([
      "unknown option '--colour' (see --help)",
      "unexpected argument 'serve'",
    ]);
  });
});

describe("parseCommandLine: validation", () => {
  it.each(["abc", "-1", "65536", "80.5", "0x50", "1e3", ""])("refuses the port %j", (text) => {
    expect(problems([`--port=${text}`])).toEqual([
      `--port must be a port from 0 to 65535 (got '${text}')`,
    ]);
  });

  it("accepts the port bounds 0 and 65535", () => {
    expect(values(["--port", "0"]).port).toBe(0);
    expect(values(["--port", "65535"]).port).toBe(65535);
  });

  it("names the environment variable when the bad value came from it", () => {
    expect(problems([], { APP_PORT: "http" })).toEqual([
      "APP_PORT must be a port from 0 to 65535 (got 'http')",
    ]);
  });

  it("enforces an int's own min and max", () => {
    expect(values(["--workers", "1"]).workers).toBe(1);
    expect(values(["--workers", "16"]).workers).toBe(16);
    expect(problems(["--workers", "0"])).toEqual([
      "--workers must be a whole number from 1 to 16 (got '0')",
    ]);
    expect(problems(["--workers", "17"])).toEqual([
      "--workers must be a whole number from 1 to 16 (got '17')",
    ]);
  });

  it("refuses an int beyond the safe integer range", () => {
    expect(problems(["--offset", "99999999999999999999"])).toHaveLength(1);
  });

  it("refuses a bool that is neither true nor false", () => {
    expect(problems(["--tui=maybe"])).toEqual(["--tui must be true or false (got 'maybe')"]);
    expect(problems([], { APP_TUI: "2" })).toEqual(["APP_TUI must be true or false (got '2')"]);
  });

  it("enforces choices, from the flag and from the environment", () => {
    expect(values(["--mode", "json"]).mode).toBe("json");
    expect(problems(["--mode", "xml"])).toEqual(["--mode must be one of plain, json (got 'xml')"]);
    expect(problems([], { APP_MODE: "JSON" })).toEqual([
      "APP_MODE must be one of plain, json (got 'JSON')",
    ]);
  });

  it("lists every problem at once in one ConfigError", () => {
    let caught: unknown;
    try {
      parseCommandLine(USAGE, SPECS, ["--port", "abc", "--bogus", "--mode=xml", "stray"], {
        APP_TUI: "perhaps",
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toBeInstanceOf(CaresError);
    const error = caught as ConfigError;
    expect(error.code).toBe("invalid_config");
    expect(error.problems).toEqual([
      "unknown option '--bogus' (see --help)",
      "unexpected argument 'stray'",
      "--port must be a port from 0 to 65535 (got 'abc')",
      "APP_TUI must be true or false (got 'perhaps')",
      "--mode must be one of plain, json (got 'xml')",
    ]);
    expect(error.message).toBe(error.problems.join("\n"));
  });
});

describe("parseCommandLine: --help", () => {
  it.each([["--help"], ["-h"]])("returns the help text for %s", (flag) => {
    const parsed = parseCommandLine(USAGE, SPECS, [flag], {});
    expect(parsed).toEqual({ help: true, text: formatHelp(USAGE, SPECS) });
  });

  it("returns help even when other arguments are wrong", () => {
    const parsed = parseCommandLine(USAGE, SPECS, ["--bogus", "--port=x", "--help"], {});
    expect(parsed.help).toBe(true);
  });

  it("describes every option with its flag form, default, env and choices", () => {
    const text = formatHelp(USAGE, SPECS);
    const lines = text.split("\n");
    expect(lines[0]).toBe("Usage: app [options]");
    expect(lines[2]).toBe("Options:");
    expect(text).toMatch(/--port <port>\s+the port; default 8080 \[env APP_PORT\]/);
    expect(text).toMatch(/--\[no-\]tui\s+draw the UI; default true \[env APP_TUI\]/);
    expect(text).toMatch(/--mode <string>\s+log format \(plain\|json\); default "plain"/);
    expect(text).toMatch(/--workers <int>\s+how many workers; default 4$/m);
    expect(lines.at(-1)).toMatch(/^ {2}--help\s+show this text$/);
    expect(lines).toHaveLength(3 + Object.keys(SPECS).length + 1);
  });
});
