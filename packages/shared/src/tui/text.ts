/** The colours and weights a span of text may take. */
export type Style =
  "bold" | "dim" | "inverse" | "red" | "yellow" | "green" | "cyan" | "blue" | "magenta" | "gray";

/** A run of text drawn in one style. */
export interface Span {
  text: string;
  style?: Style | readonly Style[];
}

/** One line of a frame, as spans; painted into a string only at the end. */
export type Line = Span[];

/** Marks text that was cut to fit. */
export const ELLIPSIS = "…";

/** A span of `text` in `style`. */
export function span(text: string, style?: Style | readonly Style[]): Span {
  return style === undefined ? { text } : { text, style };
}

// Control characters (newlines, tabs, escape sequences) would move the cursor and break
// the frame, so they are replaced before anything is measured.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character replaced by a space. */
export function sanitize(text: string): string {
  return text.replace(CONTROL, " ");
}

/**
 * Columns `text` takes, counted in code points.
 * Limitation: wide characters (CJK, most emoji) take two columns on a terminal but are
 * counted as one.
 */
export function textWidth(text: string): number {
  let width = 0;
  for (const _ of text) width++;
  return width;
}

/** `text` cut to at most `width` columns, ending in `…` when something was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = [...text];
  if (chars.length <= width) return text;
  return chars.slice(0, width - 1).join("") + ELLIPSIS;
}

/** `text` truncated, then padded with spaces to exactly `width` columns. */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const cut = truncate(text, width);
  const fill = " ".repeat(Math.max(0, width - textWidth(cut)));
  return align === "left" ? cut + fill : fill + cut;
}

/** Columns a line takes. */
export function lineWidth(line: Line): number {
  return line.reduce((sum, part) => sum + textWidth(part.text), 0);
}

/** `line` cut to at most `width` columns; the last column becomes `…` when cut. */
export function clipLine(line: Line, width: number): Line {
  if (lineWidth(line) <= width) return line;
  const out: Line = [];
  let room = width - 1;
  for (const part of line) {
    if (room <= 0) break;
    const chars = [...part.text];
    const taken = chars.slice(0, room).join("");
    out.push({ ...part, text: taken });
    room -= Math.min(room, chars.length);
  }
  if (width > 0) out.push(span(ELLIPSIS, "dim"));
  return out;
}

/** `line` clipped and padded with spaces to exactly `width` columns. */
export function padLine(line: Line, width: number): Line {
  const clipped = clipLine(line, width);
  const missing = width - lineWidth(clipped);
  return missing > 0 ? [...clipped, span(" ".repeat(missing))] : clipped;
}

/** The plain text of a line, without styles; for tests and for logs. */
export function plainText(line: Line): string {
  return line.map((part) => part.text).join("");
}
