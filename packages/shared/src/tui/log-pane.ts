import { sanitize, span, type Line, type Style } from "./text.js";
import type { LogLineView } from "./log-buffer.js";
import { clipLine } from "./text.js";

const LEVEL_STYLE: Record<LogLineView["level"], Style> = {
  debug: "gray",
  info: "green",
  error: "red",
  warn: "yellow",
};

function clock(time: number): string {
  const date = new Date(time);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * The last `rows` log lines, newest at the bottom, each as
 * `12:00:01 [INFO] orchestrator  Received invocation for 'f'.`, cut to `width`.
 */
export function renderLogLines(
  lines: readonly LogLineView[],
  width: number,
  rows: number,
  sourceWidth = 14,
): Line[] {
  if (rows <= 0) return [];
  return lines.slice(-rows).map((line) => {
    const source = [...sanitize(line.source)].slice(0, sourceWidth).join("");
    return clipLine(
      [
        span(`${clock(line.time)} `, "dim"),
        span(`[${line.level.toUpperCase()}]`, LEVEL_STYLE[line.level]),
        span(` ${source.padEnd(sourceWidth)} `, "cyan"),
        span(sanitize(line.message)),
      ],
      width,
    );
  });
}
