import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { LOG_FORMATS, formatJson, formatPlain, streamSink } from "../src/logging/format.js";
import { Logger, type LogFields, type LogLevel, type LogRecord } from "../src/logging/logger.js";

const TIME = new Date("2026-01-02T03:04:05.678Z");

/** The record a Logger would write, at a fixed time. */
function record(
  template: string,
  fields: LogFields = {},
  level: LogLevel = "info",
  childFields: LogFields = {},
): LogRecord {
  let written: LogRecord | undefined;
  new Logger((r) => (written = r), { level: "debug", fields: childFields })[level](
    template,
    fields,
  );
  return { ...written!, time: TIME };
}

describe("formatPlain", () => {
  it("prints time, upper-case level and the rendered message", () => {
    expect(formatPlain(record("Orchestrator stopped."))).toBe(
      "2026-01-02T03:04:05.678Z [INFO] Orchestrator stopped.",
    );
    expect(formatPlain(record("Careful.", {}, "warn"))).toBe(
      "2026-01-02T03:04:05.678Z [WARN] Careful.",
    );
  });

  it("appends fields the message does not show, after two spaces", () => {
    const line = formatPlain(
      record("Node '{node}' selected.", { node: "w1", cost: 12.5 }, "info", { component: "inv" }),
    );
    expect(line).toBe(
      "2026-01-02T03:04:05.678Z [INFO] Node 'w1' selected.  component=inv cost=12.5",
    );
  });

  it("quotes strings with spaces, quotes or '=' and leaves simple ones bare", () => {
    const line = formatPlain(
      record("x", { a: "simple", b: "two words", c: 'say "hi"', d: "k=v", e: "tab\there" }),
    );
    expect(line).toBe(
      '2026-01-02T03:04:05.678Z [INFO] x  a=simple b="two words" c="say \\"hi\\"" d="k=v" e="tab\\there"',
    );
  });

  it("prints numbers, booleans, null, objects and arrays as JSON", () => {
    const line = formatPlain(record("x", { n: 3, t: false, z: null, o: { k: 1 }, l: [1, "a"] }));
    expect(line).toBe('2026-01-02T03:04:05.678Z [INFO] x  n=3 t=false z=null o={"k":1} l=[1,"a"]');
  });

  it("prints an Error as its quoted message", () => {
    const line = formatPlain(record("Failed.", { error: new Error("boom: no route") }));
    expect(line).toBe('2026-01-02T03:04:05.678Z [INFO] Failed.  error="boom: no route"');
  });

  it("leaves out undefined fields", () => {
    expect(formatPlain(record("x", { gone: undefined, kept: 1 }))).toBe(
      "2026-01-02T03:04:05.678Z [INFO] x  kept=1",
    );
  });

  it("ends at the message when every field is shown in it", () => {
    expect(formatPlain(record("{a} and {b}", { a: 1, b: 2 }))).toBe(
      "2026-01-02T03:04:05.678Z [INFO] 1 and 2",
    );
  });
});

describe("formatJson", () => {
  it("writes time, level, msg, then every field, including those in the message", () => {
    const line = formatJson(
      record("Node '{node}' selected.", { node: "w1", cost: 12.5 }, "error", { component: "inv" }),
    );
    expect(JSON.parse(line)).toEqual({
      time: "2026-01-02T03:04:05.678Z",
      level: "error",
      msg: "Node 'w1' selected.",
      component: "inv",
      node: "w1",
      cost: 12.5,
    });
    expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(["time", "level", "msg"]);
    expect(line).not.toContain("\n");
  });

  it("writes an Error field as its message", () => {
    const line = formatJson(record("x", { error: new Error("boom") }));
    expect(JSON.parse(line).error).toBe("boom");
  });
});

describe("streamSink", () => {
  function linesOf(format?: "plain" | "json"): { log: Logger; lines: () => string[] } {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    const log = new Logger(streamSink(stream, format));
    return { log, lines: () => text.split("\n") };
  }

  it("offers plain and json", () => {
    expect(LOG_FORMATS).toEqual(["plain", "json"]);
  });

  it("writes plain lines by default, one per record", () => {
    const { log, lines } = linesOf();
    log.info("One {n}.", { n: 1 });
    log.warn("Two.");
    const [first, second, rest] = lines();
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \[INFO\] One 1\.$/);
    expect(second).toMatch(/\[WARN\] Two\.$/);
    expect(rest).toBe("");
  });

  it("writes one JSON object per line in json format", () => {
    const { log, lines } = linesOf("json");
    log.error("Bad {what}.", { what: "thing" });
    const [first, rest] = lines();
    expect(JSON.parse(first!)).toMatchObject({ level: "error", msg: "Bad thing.", what: "thing" });
    expect(rest).toBe("");
  });
});
