import { once } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Logger, type LogRecord } from "../src/logging/logger.js";
import { routeProcessWarnings } from "../src/logging/process-warnings.js";

const saved = process.listeners("warning");
afterEach(() => {
  process.removeAllListeners("warning");
  for (const listener of saved) process.on("warning", listener);
});

describe("routeProcessWarnings", () => {
  it("sends Node's warnings to the log and nothing to standard error", async () => {
    const records: LogRecord[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      routeProcessWarnings(new Logger((record) => records.push(record)));
      const seen = once(process, "warning");
      process.emitWarning("the old way", "DeprecationWarning");
      await seen;
      await new Promise((resolve) => setImmediate(resolve));

      expect(records.map((r) => [r.level, r.message])).toEqual([
        ["warn", "Node warning: DeprecationWarning: the old way"],
      ]);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
    }
  });
});
