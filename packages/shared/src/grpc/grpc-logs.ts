import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../logging/logger.js";

/**
 * Sends grpc-js's own diagnostics to `log` at debug level. By default grpc-js writes
 * them to the console, behind the back of whatever owns the terminal.
 */
export function routeGrpcLogs(log: Logger): void {
  const forward = (...args: unknown[]) => log.debug("grpc-js: {text}", { text: args.join(" ") });
  grpc.setLogger({ error: forward, info: forward, debug: forward });
  grpc.setLogVerbosity(log.enabled("debug") ? grpc.logVerbosity.DEBUG : grpc.logVerbosity.ERROR);
}
