import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, sleep } from "../src/durations.js";
import { parseDurationMs } from "../src/units.js";

describe("parseDurationMs", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1.5s", 1_500],
    ["0s", 0],
    [" 10 s ", 10_000],
    ["0.0004s", 0],
  ])("reads the string %j as %d ms", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each([
    [30, 30_000],
    [0.5, 500],
    [0, 0],
    [0.0004, 0],
    [1.2345, 1_235],
  ])("reads the number %d as seconds", (seconds, ms) => {
    expect(parseDurationMs(seconds)).toBe(ms);
  });

  it.each(["30", "", "s", "-1s", "1.s", ".5s", "1S", "1d", "1 sec", "1e3ms", "1s2"])(
    "refuses the string %j",
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );

  it.each([-1, NaN, Infinity, -Infinity])("refuses the number %d", (value) => {
    expect(parseDurationMs(value)).toBeUndefined();
  });

  it.each([undefined, null, true, {}, [30]])("refuses the non-duration %j", (value) => {
    expect(parseDurationMs(value)).toBeUndefined();
  });
});

describe("backoffDelay", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The delay with Math.random pinned to `random`. */
  function delayWith(random: number, attempt: number, baseMs: number, maxMs: number): number {
    vi.spyOn(Math, "random").mockReturnValue(random);
    return backoffDelay(attempt, baseMs, maxMs);
  }

  it("waits between half and all of baseMs on the first attempt", () => {
    expect(delayWith(0, 0, 100, 10_000)).toBe(50);
    expect(delayWith(0.999999, 0, 100, 10_000)).toBe(100);
  });

  it("doubles the ceiling with each attempt", () => {
    expect(delayWith(0.999999, 1, 100, 10_000)).toBe(200);
    expect(delayWith(0.999999, 3, 100, 10_000)).toBe(800);
    expect(delayWith(0, 3, 100, 10_000)).toBe(400);
  });

  it("never exceeds maxMs, however many attempts", () => {
    expect(delayWith(0.999999, 10, 100, 1_000)).toBe(1_000);
    expect(delayWith(0.999999, 1_000, 100, 1_000)).toBe(1_000);
    expect(delayWith(0, 1_000, 100, 1_000)).toBe(500);
  });

  it("stays finite for huge attempt numbers", () => {
    expect(Number.isFinite(delayWith(0.5, Number.MAX_SAFE_INTEGER, 1, Infinity))).toBe(true);
  });

  it("stays within [ceiling / 2, ceiling] for random draws", () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(5_000, 50 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(attempt, 50, 5_000);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });
});

describe("sleep", () => {
  it("resolves after the time passes", async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const waiting = sleep(1_000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await waiting;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects with the signal's reason when aborted, before or during the wait", async () => {
    const before = new AbortController();
    before.abort(new Error("already gone"));
    await expect(sleep(10_000, before.signal)).rejects.toThrow("already gone");

    const during = new AbortController();
    const waiting = sleep(10_000, during.signal);
    during.abort(new Error("gone now"));
    await expect(waiting).rejects.toThrow("gone now");
  });
});
