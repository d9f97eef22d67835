import { createServer, type RequestListener, type Server, type ServerOptions } from "node:http";
import type { AddressInfo } from "node:net";
import { CaresError } from "../errors.js";

export interface RunningHttpServer {
  server: Server;
  port: number;
  /** Stops taking requests, lets running ones finish for up to `graceMs`, then cuts them. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves `listener` on host:port. Fails with `port_in_use` when the port is taken.
 * `options` go to Node's server as they are, e.g. `maxHeaderSize`.
 */
export async function startHttpServer(
  listener: RequestListener,
  host: string,
  port: number,
  label = "HTTP",
  options: ServerOptions = {},
): Promise<RunningHttpServer> {
  const server = createServer(options, listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new CaresError("port_in_use", `${label} port ${port} on ${host} is already in use`, {
              cause: error,
            })
          : new CaresError(
              "listen_failed",
              `cannot serve ${label} on ${host}:${port}: ${error.message}`,
              {
                cause: error,
              },
            ),
      );
    });
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
