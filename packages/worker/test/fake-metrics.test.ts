import { describe, expect, it } from "vitest";
import { FakeMetrics, parseFakeUsage } from "../src/metrics/fake-metrics.js";

describe("FakeMetrics", () => {
  it("is named fake and reads zero usage by default", async () => {
    const metrics = new FakeMetrics();
    expect(metrics.name).toBe("fake");
    expect(await metrics.read()).toEqual({ cpuUsage: 0, memoryUsage: 0 });
  });

  it("reads the usage it was given", async () => {
    expect(await new FakeMetrics({ cpuUsage: 12.5, memoryUsage: 40 }).read()).toEqual({
      cpuUsage: 12.5,
      memoryUsage: 40,
    });
  });

  it("returns a copy that callers may change without changing the source", async () => {
    const usage = { cpuUsage: 10, memoryUsage: 20 };
    const metrics = new FakeMetrics(usage);
    const first = await metrics.read();
    expect(first).not.toBe(usage);
    first.cpuUsage = 99;
    expect(usage.cpuUsage).toBe(10);
    expect(await metrics.read()).toEqual({ cpuUsage: 10, memoryUsage: 20 });
  });

  it("returns a new object on every read", async () => {
    const metrics = new FakeMetrics({ cpuUsage: 1, memoryUsage: 2 });
    expect(await metrics.read()).not.toBe(await metrics.read());
  });

  it("reads a usage set after construction", async () => {
    const metrics = new FakeMetrics();
    metrics.usage = { cpuUsage: 70, memoryUsage: 30 };
    expect(await metrics.read()).toEqual({ cpuUsage: 70, memoryUsage: 30 });
  });
});

describe("parseFakeUsage", () => {
  it.each([
    ["10,20", { cpuUsage: 10, memoryUsage: 20 }],
    [" 1.5 , 2 ", { cpuUsage: 1.5, memoryUsage: 2 }],
    ["0,0", { cpuUsage: 0, memoryUsage: 0 }],
    ["100,100", { cpuUsage: 100, memoryUsage: 100 }],
    ["99.99,0.01", { cpuUsage: 99.99, memoryUsage: 0.01 }],
  ])("reads %j", (text, usage) => {
    expect(parseFakeUsage(text)).toEqual(usage);
  });

  it.each(["x", "10", "101,0", "0,101", "-1,2", "1,-2", "", "10,20,30", "1e2,0", ".5,1", "10;20"])(
    "refuses %j",
    (text) => {
      expect(parseFakeUsage(text)).toBeUndefined();
    },
  );
});
