import { format } from "node:util";
import type { Logger } from "../logging/logger.js";

/**
 * Sends console.log, info, warn, error and debug to `log`, so that a library that
 * prints does not write behind the TUI's back. Returns a function that puts them back.
 */
export function captureConsole(log: Logger): () => void {
  const saved = { ...console };
  const forward =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]) =>
      log[level]("console: {text}", { text: format(...args) });
  console.log = forward("info");
  console.info = forward("info");
  console.warn = forward("warn");
  console.error = forward("error");
  console.debug = forward("debug");
  return () => Object.assign(console, saved);
}
