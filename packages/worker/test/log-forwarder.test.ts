import { describe, expect, it } from "vitest";
import { Logger, type OrchestratorClient, type RemoteLogLine } from "@cares/shared";
import { LogForwarder } from "../src/logs/log-forwarder.js";

/** Stands in for the orchestrator: records each ReportLogs call, or fails them. */
function fakeClient(options: { fail?: boolean } = {}) {
  const reports: Array<{ nodeId: string; lines: RemoteLogLine[] }> = [];
  const client = {
    async reportLogs(nodeId: string, lines: readonly RemoteLogLine[]) {
      if (options.fail) throw new Error("unreachable");
      reports.push({ nodeId, lines: [...lines] });
      return { known: true };
    },
  } as unknown as OrchestratorClient;
  return { client, reports };
}

const sent = (reports: Array<{ lines: RemoteLogLine[] }>) =>
  reports.flatMap((r) => r.lines.map((line) => line.message));

describe("LogForwarder", () => {
  it("holds lines until the worker has a node id, then sends them in order", async () => {
    const forwarder = new LogForwarder({ flushMs: 5 });
    const log = new Logger(forwarder.sink);
    log.info("one");
    log.warn("two {n}", { n: 2 });
    const { client, reports } = fakeClient();
    let nodeId = "";
    forwarder.connect(client, () => nodeId);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(reports).toEqual([]);

    nodeId = "node-1";
    log.info("three");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reports.every((r) => r.nodeId === "node-1")).toBe(true);
    expect(sent(reports)).toEqual(["one", "two 2", "three"]);
    expect(reports[0]!.lines[1]!.level).toBe("warn");
  });

  it("keeps only the newest lines while the orchestrator cannot take them", async () => {
    const forwarder = new LogForwarder({ flushMs: 5, maxQueued: 3 });
    const log = new Logger(forwarder.sink);
    for (const n of [1, 2, 3, 4, 5]) log.info("line {n}", { n });
    const { client, reports } = fakeClient();
    forwarder.connect(client, () => "node-1");
    await forwarder.flush();
    expect(sent(reports)).toEqual(["line 3", "line 4", "line 5"]);
  });

  it("never throws or logs when sending fails", async () => {
    const forwarder = new LogForwarder({ flushMs: 5 });
    new Logger(forwarder.sink).info("lost, for now");
    forwarder.connect(fakeClient({ fail: true }).client, () => "node-1");
    await expect(forwarder.flush()).resolves.toBeUndefined();
  });
});
