import { describe, expect, it } from "vitest";
import {
  applyClusterEvent,
  emptyClusterView,
  type ClusterView,
} from "../src/events/cluster-view.js";
import { renderClusterFrame } from "../src/tui/render-cluster.js";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const plain = { color: false, now: NOW, mode: "live" as const };
const ESC = "\u001b";

function cluster(): ClusterView {
  const view = emptyClusterView("live");
  applyClusterEvent(view, {
    type: "snapshot",
    cluster: "lab",
    nodes: [
      {
        id: "1",
        name: "worker-with-a-remarkably-long-name-that-will-not-fit",
        address: "10.0.0.1:50052",
        status: "Active",
        cpuUsage: 12.5,
        memoryUsage: 40,
        cost: 26.25,
        runningExecutions: 1,
        lastHeartbeatAt: NOW - 1_500,
      },
      {
        id: "2",
        name: "w2",
        address: "10.0.0.2:50052",
        status: "Inactive",
        cpuUsage: 0,
        memoryUsage: 0,
        cost: 0,
        runningExecutions: 0,
        lastHeartbeatAt: NOW - 9_000,
      },
    ],
    functions: [{ name: "hello", image: "cares/hello-world", timeoutMs: 30_000 }],
    log: [
      {
        time: NOW,
        level: "info",
        source: "orchestrator",
        message: "Received invocation for 'hello'.",
      },
      { time: NOW, level: "warn", source: "w2", message: "x".repeat(300) },
    ],
    stats: { inFlight: 2, perSecond: 0.4 },
  });
  return view;
}

describe("the orchestrator frame", () => {
  it("fills exactly the rows it is given and never passes the width", () => {
    for (const size of [
      { columns: 120, rows: 30 },
      { columns: 80, rows: 24 },
      { columns: 40, rows: 10 },
      { columns: 20, rows: 4 },
    ]) {
      const lines = renderClusterFrame(cluster(), size, plain);
      expect(lines).toHaveLength(size.rows);
      for (const line of lines) expect([...line].length).toBeLessThanOrEqual(size.columns);
    }
  });

  it("shows the header, both tables, the log and the keys", () => {
    const text = renderClusterFrame(cluster(), { columns: 120, rows: 30 }, plain).join("\n");
    expect(text).toContain("cluster lab │ nodes 1/2 active │ functions 1 │ in flight 2 │ 0.4/s");
    expect(text).toMatch(/w2\s+10\.0\.0\.2:50052\s+Inactive\s+0\.0\s+0\.0\s+0\.0\s+0\s+9\.0s/);
    expect(text).toMatch(/hello\s+cares\/hello-world\s+30s/);
    expect(text).toContain("[INFO] orchestrator   Received invocation for 'hello'.");
    expect(text).toContain("r  register");
  });

  it("truncates long names and long log lines with an ellipsis", () => {
    const lines = renderClusterFrame(cluster(), { columns: 100, rows: 30 }, plain);
    expect(lines.some((l) => l.startsWith("worker-with-a-rem…"))).toBe(true);
    const warn = lines.find((l) => l.includes("[WARN]"))!;
    expect([...warn].length).toBe(100);
    expect(warn.endsWith("…")).toBe(true);
  });

  it("draws empty tables with a word instead of rows", () => {
    const view = emptyClusterView("live");
    const text = renderClusterFrame(view, { columns: 80, rows: 24 }, plain).join("\n");
    expect(text).toContain("no nodes yet");
    expect(text).toContain("no functions yet");
    expect(text).toContain("nodes 0/0 active");
  });

  it("uses colour only when asked", () => {
    const size = { columns: 100, rows: 24 };
    expect(renderClusterFrame(cluster(), size, plain).join("")).not.toContain(ESC);
    expect(renderClusterFrame(cluster(), size, { ...plain, color: true }).join("")).toContain(ESC);
  });

  it("is read-only when watching, and shows where the stream comes from", () => {
    const view = cluster();
    view.connection = "connected";
    view.source = "ws://127.0.0.1:8080/events";
    const text = renderClusterFrame(view, { columns: 140, rows: 24 }, { ...plain, mode: "watch" });
    expect(text.join("\n")).toContain("connected ws://127.0.0.1:8080/events");
    expect(text.at(-1)).toContain("read-only");
    expect(text.at(-1)).not.toContain("register");
  });

  it("puts a worker's forwarded lines back in time order", () => {
    const view = emptyClusterView("live");
    const line = (time: number, message: string) => ({
      type: "log" as const,
      line: { time, level: "info" as const, source: "orchestrator", message },
    });
    applyClusterEvent(view, line(1, "a"));
    applyClusterEvent(view, line(3, "c"));
    applyClusterEvent(view, line(2, "b"));
    expect(view.log.map((l) => l.message)).toEqual(["a", "b", "c"]);
  });
});
