import WebSocket from "ws";
import { backoffDelay } from "@cares/shared";
import type { ClusterEvent, Connection } from "./cluster-view.js";

export interface EventClientOptions {
  url: string;
  /** The API token, sent as `Authorization: Bearer` when the orchestrator needs one. */
  token?: string;
  onEvent: (event: ClusterEvent) => void;
  onConnection: (state: Connection) => void;
  /** Backoff between reconnection attempts. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/**
 * Follows an orchestrator's `/events` stream and reconnects by itself, with backoff,
 * whenever the connection drops; each new connection starts with a fresh snapshot.
 */
export class EventClient {
  readonly #options: EventClientOptions;
  #socket: WebSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #closed = false;

  constructor(options: EventClientOptions) {
    this.#options = options;
  }

  start(): void {
    this.#connect();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.terminate();
  }

  #connect(): void {
    if (this.#closed) return;
    this.#options.onConnection("connecting");
    const { token } = this.#options;
    const socket = new WebSocket(
      this.#options.url,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    );
    this.#socket = socket;
    socket.on("open", () => {
      this.#attempt = 0;
      this.#options.onConnection("connected");
    });
    socket.on("message", (data) => {
      let event: ClusterEvent;
      try {
        event = JSON.parse(String(data)) as ClusterEvent;
      } catch {
        return;
      }
      this.#options.onEvent(event);
    });
    // An error is always followed by close, where the retry is planned.
    socket.on("error", () => {});
    socket.on("close", () => {
      if (this.#closed) return;
      this.#options.onConnection("disconnected");
      const delay = backoffDelay(
        this.#attempt++,
        this.#options.retryBaseMs ?? 250,
        this.#options.retryMaxMs ?? 3_000,
      );
      this.#timer = setTimeout(() => this.#connect(), delay);
    });
  }
}
