import type { Logger } from "./logger.js";

/**
 * Sends Node's process warnings (deprecations and the like) to `log` at warn level.
 * Node prints them to standard error through a listener of its own, which would write
 * behind the terminal UI's back; that listener is replaced.
 */
export function routeProcessWarnings(log: Logger): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    log.warn("Node warning: {warning}", { warning: `${warning.name}: ${warning.message}` });
  });
}
