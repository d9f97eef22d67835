// A Unix-socket proxy in front of the Docker engine, so that a test can take the engine
// away from a worker and give it back without touching the engine itself.
import { rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";

/** Pipes every connection made to `path` through to the engine's socket at `target`. */
export class SocketProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #dropping = false;
  /** When a byte last went through, either way (performance.now()). */
  lastTrafficAt = 0;

  constructor(
    readonly path: string,
    readonly target = "/var/run/docker.sock",
  ) {}

  /** Listens on `path`; resolves once connections are accepted. */
  async start(): Promise<void> {
    // Half-open sockets on both legs: an attached container's standard input is closed
    // before its output has all come back.
    const server = createServer({ allowHalfOpen: true }, (client) => {
      if (this.#dropping) {
        client.destroy();
        return;
      }
      const upstream = connect({ path: this.target, allowHalfOpen: true });
      this.#sockets.add(client).add(upstream);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      client.on("close", () => {
        this.#sockets.delete(client);
        upstream.destroy();
      });
      upstream.on("close", () => this.#sockets.delete(upstream));
      const traffic = () => (this.lastTrafficAt = performance.now());
      client.on("data", traffic);
      upstream.on("data", traffic);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
  }

  /**
   * From now on, closes every connection as soon as it is accepted, and cuts the open
   * ones: the socket is there, but the engine behind it hangs up on every request.
   */
  dropConnections(): void {
    this.#dropping = true;
    this.#cutAll();
  }

  #cutAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Stops listening, cuts every open connection and removes the socket file. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      this.#cutAll();
      await closed;
    }
    rmSync(this.path, { force: true });
  }
}
