import { CaresError } from "@cares/shared";
import { describe, expect, it } from "vitest";
import {
  FunctionNotFoundError,
  FunctionRegistry,
  type FunctionSpec,
} from "../src/registry/function-registry.js";
import {
  FUNCTION_DEFAULTS,
  FUNCTION_LIMITS,
  describeFunction,
  parseFunctionSpec,
} from "../src/registry/function-settings.js";

const NOW = new Date("2026-03-04T05:06:07.000Z");

/** The invalid_request error parseFunctionSpec throws for `body`. */
function refusal(body: Record<string, unknown>): CaresError {
  try {
    parseFunctionSpec(body, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(CaresError);
    expect((error as CaresError).code).toBe("invalid_request");
    return error as CaresError;
  }
  throw new Error("expected parseFunctionSpec to refuse the body");
}

describe("parseFunctionSpec", () => {
  it("fills in every default and the given time", () => {
    expect(parseFunctionSpec({ name: "hello", image: "cares/hello-world:latest" }, NOW)).toEqual({
      name: "hello",
      image: "cares/hello-world:latest",
      timeoutMs: 30_000,
      memoryBytes: 256 * 1024 * 1024,
      cpus: null,
      env: {},
      network: false,
      contentType: "text/plain; charset=utf-8",
      pull: "if-missing",
      concurrency: null,
      maxOutputBytes: 10 * 1024 * 1024,
      createdAt: NOW,
    });
    expect(FUNCTION_DEFAULTS.timeoutMs).toBe(30_000);
  });

  it("stamps the current time when none is given", () => {
    const before = Date.now();
    const spec = parseFunctionSpec({ name: "a", image: "alpine" });
    expect(spec.createdAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(spec.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("keeps a valid env", () => {
    const env = { GREETING: "hi", _private: "", PATH2: "a=b c" };
    expect(parseFunctionSpec({ name: "a", image: "alpine", env }, NOW).env).toEqual(env);
  });

  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["15m", FUNCTION_LIMITS.maxTimeoutMs],
    [30, 30_000],
    [0.5, 500],
    [900, FUNCTION_LIMITS.maxTimeoutMs],
  ])("reads the timeout %j as %d ms", (timeout, ms) => {
    expect(parseFunctionSpec({ name: "a", image: "alpine", timeout }, NOW).timeoutMs).toBe(ms);
  });

  it.each([
    ["name", { image: "alpine" }, "name is required"],
    ["image", { name: "a" }, "image is required"],
  ])("requires %s", (field, body, message) => {
    const error = refusal(body);
    expect(error.details).toEqual({ field });
    expect(error.message).toBe(message);
  });

  it("refuses an unknown field, naming it and the known ones", () => {
    const error = refusal({ name: "a", image: "alpine", memroy: 128 });
    expect(error.details).toEqual({ field: "memroy" });
    expect(error.message).toBe(
      "memroy is not a known field (known: name, image, timeout, memory, cpus, env, network, " +
        "contentType, pull, concurrency, maxOutput)",
    );
  });

  it("reports an unknown field before a missing one", () => {
    expect(refusal({ timeOut: "1s" }).details).toEqual({ field: "timeOut" });
  });

  it.each([
    ["Hello", /lower-case letters/],
    ["-x", /lower-case letters/],
    ["", /must not be empty/],
    ["x".repeat(64), /at most 63 characters/],
    [42, /must be a string/],
    [null, /must be a string/],
  ])("refuses the name %j", (name, message) => {
    const error = refusal({ name, image: "alpine" });
    expect(error.details).toEqual({ field: "name" });
    expect(error.message).toMatch(/^name /);
    expect(error.message).toMatch(message);
  });

  it.each([
    ["Alpine", /not a valid image reference/],
    ["alpine:", /not a valid image reference/],
    ["", /must not be empty/],
    [["alpine"], /must be a string/],
  ])("refuses the image %j", (image, message) => {
    const error = refusal({ name: "a", image });
    expect(error.details).toEqual({ field: "image" });
    expect(error.message).toMatch(/^image /);
    expect(error.message).toMatch(message);
  });

  it("checks the name before the image", () => {
    expect(refusal({ name: "Bad", image: "Bad" }).details).toEqual({ field: "name" });
  });

  it.each([
    ["a string", "FOO=bar"],
    ["an array", [["FOO", "bar"]]],
    ["null", null],
    ["a number", 1],
  ])("refuses env given as %s", (_what, env) => {
    const error = refusal({ name: "a", image: "alpine", env });
    expect(error.details).toEqual({ field: "env" });
    expect(error.message).toBe("env must be an object of names to string values");
  });

  it.each(["1FOO", "FOO-BAR", "FOO BAR", "", "FÖÖ", "A=B"])(
    "refuses the env variable name %j",
    (key) => {
      const error = refusal({ name: "a", image: "alpine", env: { [key]: "x" } });
      expect(error.details).toEqual({ field: "env" });
      expect(error.message).toBe(`env has '${key}', which is not a valid variable name`);
    },
  );

  it.each([1, true, null, { nested: "x" }])("refuses the env value %j", (value) => {
    const error = refusal({ name: "a", image: "alpine", env: { FOO: value } });
    expect(error.details).toEqual({ field: "env" });
    expect(error.message).toBe("env value of 'FOO' must be a string");
  });

  // Bug: parseEnv copies into a plain object literal, so a variable named __proto__
  // (a valid name by ENV_NAME) sets the object's prototype instead of an own key and
  // is silently dropped from the function's env.
  it("keeps an env variable named __proto__ or refuses it", () => {
    const body = JSON.parse('{"name":"a","image":"alpine","env":{"__proto__":"x"}}');
    let env: Record<string, string> | undefined;
    try {
      env = parseFunctionSpec(body, NOW).env;
    } catch {
      return;
    }
    expect(Object.keys(env)).toEqual(["__proto__"]);
  });

  it.each([0, -1, "0s", "0ms", "16m", "1h", 901, "30", "thirty", "", null, true, {}, Infinity])(
    "refuses the timeout %j",
    (timeout) => {
      const error = refusal({ name: "a", image: "alpine", timeout });
      expect(error.details).toEqual({ field: "timeout" });
      expect(error.message).toMatch(/^timeout must be seconds .* at most 15 minutes$/);
    },
  );
});

describe("describeFunction", () => {
  it("shows the timeout in seconds and the time as ISO text", () => {
    const spec = parseFunctionSpec(
      { name: "hello", image: "alpine", timeout: "1500ms", env: { A: "1" } },
      NOW,
    );
    expect(describeFunction(spec)).toEqual({
      name: "hello",
      image: "alpine",
      timeout: 1.5,
      memory: 256 * 1024 * 1024,
      cpus: null,
      env: { A: "1" },
      network: false,
      contentType: "text/plain; charset=utf-8",
      pull: "if-missing",
      concurrency: null,
      maxOutput: 10 * 1024 * 1024,
      createdAt: "2026-03-04T05:06:07.000Z",
    });
  });
});

describe("FunctionRegistry", () => {
  function spec(name: string): FunctionSpec {
    return parseFunctionSpec({ name, image: "alpine" }, NOW);
  }

  it("adds, gets, lists by name and counts", () => {
    const registry = new FunctionRegistry();
    const b = registry.add(spec("b"));
    registry.add(spec("a"));
    expect(registry.get("b")).toBe(b);
    expect(registry.list().map((s) => s.name)).toEqual(["a", "b"]);
    expect(registry.size).toBe(2);
  });

  it("refuses a second function of the same name with function_exists", () => {
    const registry = new FunctionRegistry();
    const first = registry.add(spec("a"));
    let caught: unknown;
    try {
      registry.add(spec("a"));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CaresError);
    expect((caught as CaresError).code).toBe("function_exists");
    expect((caught as CaresError).details).toEqual({ function: "a" });
    expect(registry.get("a")).toBe(first);
  });

  it("throws FunctionNotFoundError for a name it does not hold", () => {
    const registry = new FunctionRegistry();
    expect(() => registry.get("nope")).toThrow(FunctionNotFoundError);
    const error = new FunctionNotFoundError("nope");
    expect(error.code).toBe("function_not_found");
    expect(error.details).toEqual({ function: "nope" });
    expect(error.message).toBe("no function named 'nope' is registered");
  });

  it("removes a function, after which it is gone", () => {
    const registry = new FunctionRegistry();
    const a = registry.add(spec("a"));
    expect(registry.remove("a")).toBe(a);
    expect(registry.size).toBe(0);
    expect(() => registry.get("a")).toThrow(FunctionNotFoundError);
    expect(() => registry.remove("a")).toThrow(FunctionNotFoundError);
  });
});

describe("env values the engine would refuse", () => {
  it("refuses a NUL character with 400 naming env", () => {
    const error = refusal({ name: "a", image: "alpine", env: { X: "a\u0000b" } });
    expect(error.details).toEqual({ field: "env" });
    expect(error.message).toBe("env value of 'X' must not hold a NUL character");
  });
});
