import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "@cares/shared";
import crossws from "crossws/adapters/node";
import type { ClusterEvents } from "./cluster-events.js";

/** The path of the event stream on the HTTP port. */
export const EVENTS_PATH = "/events";

export interface EventStreamOptions {
  /**
   * Bytes a viewer may have waiting to be sent before it is dropped; a viewer that reads
   * too slowly (or vanished without closing) must never hold the orchestrator back.
   */
  maxQueuedBytes?: number;
  /** Throws when the request may not watch (no or a wrong token); it then gets 401. */
  authorize?: (request: IncomingMessage) => void;
}

export interface EventStream {
  /** Viewers connected now. */
  readonly viewers: number;
  /** Closes every viewer's connection and stops taking new ones. */
  close(): void;
}

/**
 * Serves `events` as a WebSocket at `/events` on `server`, the HTTP API's own server:
 * each viewer gets the snapshot, then every event, one JSON object per message.
 */
export function serveEventStream(
  server: Server,
  events: ClusterEvents,
  log: Logger,
  options: EventStreamOptions = {},
): EventStream {
  const maxQueued = options.maxQueuedBytes ?? 1024 * 1024;
  const unsubscribers = new Map<string, () => void>();

  const ws = crossws({
    hooks: {
      open(peer) {
        log.debug("Viewer {peer} connected.", { peer: peer.remoteAddress ?? peer.id });
        let dropped = false;
        const unsubscribe = events.subscribe((event) => {
          if (dropped) return;
          const queued = peer.websocket.bufferedAmount ?? 0;
          if (queued > maxQueued) {
            dropped = true;
            unsubscribers.get(peer.id)?.();
            unsubscribers.delete(peer.id);
            peer.terminate();
            log.warn("Viewer {peer} dropped: {queuedBytes} bytes behind.", {
              peer: peer.remoteAddress ?? peer.id,
              queuedBytes: queued,
            });
            return;
          }
          peer.send(JSON.stringify(event));
        });
        if (!dropped) unsubscribers.set(peer.id, unsubscribe);
      },
      close(peer) {
        unsubscribers.get(peer.id)?.();
        unsubscribers.delete(peer.id);
        log.debug("Viewer {peer} disconnected.", { peer: peer.remoteAddress ?? peer.id });
      },
      error(peer, error) {
        log.debug("Viewer {peer} failed: {error}", { peer: peer.id, error: error.message });
      },
    },
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== EVENTS_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    try {
      options.authorize?.(request);
    } catch (error) {
      const body = JSON.stringify({ error: "unauthorized", message: (error as Error).message });
      socket.end(
        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nconnection: close\r\n" +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    ws.handleUpgrade(request, socket, head).catch((error: Error) => {
      log.debug("WebSocket upgrade failed: {error}", { error: error.message });
      socket.destroy();
    });
  };
  server.on("upgrade", onUpgrade);

  return {
    get viewers() {
      return unsubscribers.size;
    },
    close() {
      server.off("upgrade", onUpgrade);
      for (const unsubscribe of unsubscribers.values()) unsubscribe();
      unsubscribers.clear();
      ws.closeAll(1001, "orchestrator stopping", true);
    },
  };
}
