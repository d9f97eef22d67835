import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo } from "node:net";
import { CaresError } from "../errors.js";

export interface RunningHttpServer {
  server: Server;
  port: number;
  /** Stops taking requests, lets running ones finish for up to `graceMs`, then cuts them. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Answers a request Node could not parse (headers too large, malformed) with the same
 * JSON error shape as every other error, instead of Node's bare status line.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify(
    tooLarge
      ? { error: "headers_too_large", message: "the request's headers are too large" }
      : { error: "invalid_request", message: "the request is not valid HTTP" },
  );
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Gives every response its reason phrase. Responses built from web Response objects
 * carry an empty statusText, which Node would send as a bare `HTTP/1.1 200 `.
 */
function withReasonPhrases(listener: RequestListener): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
    response.writeHead = ((status: number, ...rest: unknown[]) => {
      if (rest[0] === "") rest[0] = STATUS_CODES[status] ?? "";
      return writeHead(status, ...rest);
    }) as ServerResponse["writeHead"];
    listener(request, response);
  };
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
  const server = createServer(options, withReasonPhrases(listener));
  server.on("clientError", answerClientError);
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
