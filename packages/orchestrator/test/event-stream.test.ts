import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Logger, teeSink, type LogRecord } from "@cares/shared";
import { ClusterEvents } from "../src/events/cluster-events.js";
import type { ClusterEvent } from "../src/events/cluster-view.js";
import { serveEventStream } from "../src/events/event-stream.js";
import { startOrchestrator, type RunningOrchestrator } from "../src/orchestrator.js";

/** A WebSocket client that keeps every event it receives. */
async function follow(url: string) {
  const socket = new WebSocket(url);
  const events: ClusterEvent[] = [];
  socket.on("message", (data) => events.push(JSON.parse(String(data)) as ClusterEvent));
  await once(socket, "open");
  const waitFor = async (test: (events: ClusterEvent[]) => boolean, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!test(events)) {
      if (Date.now() > deadline) throw new Error(`events never matched: ${JSON.stringify(events)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { socket, events, waitFor };
}

const messages = (events: ClusterEvent[]) =>
  events.flatMap((event) => (event.type === "log" ? [event.line.message] : []));

describe("the /events stream", () => {
  let orchestrator: RunningOrchestrator | undefined;
  const sockets: WebSocket[] = [];

  afterEach(async () => {
    for (const socket of sockets) socket.terminate();
    await orchestrator?.stop();
    orchestrator = undefined;
  });

  it("sends a snapshot, then every change and log line in order", async () => {
    const events = new ClusterEvents({ cluster: "test-cluster" });
    const records: LogRecord[] = [];
    const log = new Logger(teeSink(events.logSink, (r) => records.push(r)));
    orchestrator = await startOrchestrator({
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      maxBodyBytes: 1024,
      log,
      events,
    });
    const http = `http://127.0.0.1:${orchestrator.httpPort}`;
    await fetch(`${http}/functions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "before", image: "cares/echo" }),
    });

    const viewer = await follow(`ws://127.0.0.1:${orchestrator.httpPort}/events`);
    sockets.push(viewer.socket);
    await viewer.waitFor((e) => e.length >= 1);
    const [snapshot] = viewer.events;
    expect(snapshot?.type).toBe("snapshot");
    if (snapshot?.type !== "snapshot") return;
    expect(snapshot.cluster).toBe("test-cluster");
    expect(snapshot.functions.map((f) => f.name)).toEqual(["before"]);
    expect(snapshot.log.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/^Orchestrator listening/),
    );

    await fetch(`${http}/functions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "after", image: "cares/hello-world" }),
    });
    await fetch(`${http}/invoke/after`, { method: "POST" });
    await fetch(`${http}/functions/after`, { method: "DELETE" });
    await viewer.waitFor((e) => e.some((event) => event.type === "function-removed"));

    const live = viewer.events.slice(1);
    const kinds = live.filter((e) => e.type !== "stats" && e.type !== "log").map((e) => e.type);
    expect(kinds).toEqual(["function", "function-removed"]);
    expect(messages(live)).toEqual([
      "Received invocation for 'after'.",
      "Selecting optimal node from 0 active candidates...",
      "No node can take 'after': no worker has registered; start a worker and try again",
    ]);
    const added = live.findIndex((e) => e.type === "function");
    const firstLine = live.findIndex((e) => e.type === "log");
    expect(added).toBeLessThan(firstLine);
    expect(live.some((e) => e.type === "stats" && e.stats.inFlight === 1)).toBe(true);
    for (const event of live)
      if (event.type === "log") expect(event.line.source).toBe("orchestrator");
  });

  it("answers 404 to an upgrade on another path", async () => {
    orchestrator = await startOrchestrator({
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      maxBodyBytes: 1024,
      log: new Logger(() => {}),
    });
    const socket = new WebSocket(`ws://127.0.0.1:${orchestrator.httpPort}/elsewhere`);
    const [error] = (await once(socket, "error")) as [Error];
    expect(error.message).toContain("404");
  });

  it("drops a viewer that falls too far behind, with a log line, and serves the rest", async () => {
    const events = new ClusterEvents({ cluster: "c" });
    const warnings: string[] = [];
    const log = new Logger((record) => {
      if (record.level === "warn") warnings.push(record.message);
    });
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const stream = serveEventStream(server, events, log, { maxQueuedBytes: 256 * 1024 });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    try {
      const slow = await follow(url);
      const fast = await follow(url);
      sockets.push(slow.socket, fast.socket);
      await fast.waitFor((e) => e.length >= 1);
      // The slow viewer stops reading: its bytes pile up on the orchestrator's side.
      (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();

      const text = "x".repeat(16 * 1024);
      const started = Date.now();
      for (let i = 0; i < 2_000 && warnings.length === 0; i++) {
        events.addRemoteLines("w1", [
          { time: new Date(), level: "info", message: text, fields: {} },
        ]);
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(warnings).toEqual([expect.stringMatching(/^Viewer .* dropped: \d+ bytes behind\.$/)]);
      expect(stream.viewers).toBe(1);

      events.addRemoteLines("w1", [
        { time: new Date(), level: "info", message: "still here", fields: {} },
      ]);
      await fast.waitFor((e) => messages(e).includes("still here"), 10_000);
    } finally {
      stream.close();
      server.close();
    }
  });
});

describe("the /events stream behind a token", () => {
  it("refuses a viewer without the API token with 401 and takes one with it", async () => {
    const orchestrator = await startOrchestrator({
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      maxBodyBytes: 1024,
      log: new Logger(() => {}),
      apiToken: "s3cret-token",
    });
    try {
      const url = `ws://127.0.0.1:${orchestrator.httpPort}/events`;
      const refused = new WebSocket(url);
      // ws reports the refused handshake as an error too, once the request is torn down.
      refused.on("error", () => {});
      const [, response] = (await once(refused, "unexpected-response")) as [
        unknown,
        { statusCode: number },
      ];
      expect(response.statusCode).toBe(401);
      refused.terminate();

      const viewer = new WebSocket(url, { headers: { authorization: "Bearer s3cret-token" } });
      const [data] = await once(viewer, "message");
      expect((JSON.parse(String(data)) as ClusterEvent).type).toBe("snapshot");
      viewer.terminate();
    } finally {
      await orchestrator.stop();
    }
  });
});
