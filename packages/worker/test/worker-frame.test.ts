import { describe, expect, it } from "vitest";
import type { LogRecord } from "@cares/shared";
import { renderWorkerFrame } from "../src/tui/render-worker.js";
import { applyWorkerRecord, emptyWorkerView } from "../src/tui/worker-view.js";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const RECEIVED = "Received execution request for image '{image}'.";
const FINISHED = "Container finished. Sending result back to Orchestrator.";

function record(template: string, fields: Record<string, unknown>): LogRecord {
  return { time: new Date(NOW), level: "info", template, message: template, fields };
}

describe("the worker frame", () => {
  const view = emptyWorkerView("127.0.0.1:50051");
  const node = "worker-1";
  applyWorkerRecord(
    view,
    record("Registered with orchestrator at {orchestrator} as node {nodeId}.", {
      node,
      nodeId: "0123456789abcdef",
    }),
  );
  applyWorkerRecord(view, record(RECEIVED, { node, invocation: "aaaaaaaa-1", image: "cares/hi" }));
  applyWorkerRecord(
    view,
    record(RECEIVED, { node, invocation: "bbbbbbbb-2", image: "cares/fail" }),
  );
  applyWorkerRecord(
    view,
    record(FINISHED, {
      node,
      invocation: "bbbbbbbb-2",
      outcome: "failed",
      exitCode: 3,
      durationMs: 190,
    }),
  );

  it("shows the node, its connection and its calls, running and ended", () => {
    const size = { columns: 110, rows: 20 };
    const text = renderWorkerFrame(view, size, { color: false, now: NOW + 2_000 });
    const all = text.join("\n");
    expect(all).toContain("worker-1 (01234567) │ orchestrator 127.0.0.1:50051 registered");
    expect(all).toMatch(/bbbbbbbb\s+cares\/fail\s+failed\s+0\.2s\s+3/);
    expect(all).toMatch(/aaaaaaaa\s+cares\/hi\s+running\s+2\.0s\s+-/);
    expect(text).toHaveLength(20);
  });

  it("fits narrow terminals and has no colour when it is off", () => {
    const text = renderWorkerFrame(view, { columns: 30, rows: 8 }, { color: false, now: NOW });
    expect(text).toHaveLength(8);
    for (const line of text) {
      expect([...line].length).toBeLessThanOrEqual(30);
      expect(line).not.toContain("\u001b");
    }
  });
});
