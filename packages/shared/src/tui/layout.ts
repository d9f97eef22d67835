import { Chalk, type ChalkInstance } from "chalk";
import { clipLine, fit, lineWidth, span, truncate, type Line, type Style } from "./text.js";

/** The size of the area a frame is drawn in. */
export interface FrameSize {
  columns: number;
  rows: number;
}

/** A rule across the width with a title: `── Nodes (2) ─────────`. */
export function titleRule(title: string, width: number, extra = ""): Line {
  const head = `── ${title}${extra ? ` ${extra}` : ""} `;
  const cut = truncate(head, width);
  return [span(cut, "bold"), span("─".repeat(Math.max(0, width - [...cut].length)), "dim")];
}

/** One column of a table. */
export interface Column<T> {
  title: string;
  /** The width the column gets when there is room; it never grows past it. */
  width: number;
  /** The narrowest it may become when the terminal is narrow; `width` when not given. */
  minWidth?: number;
  align?: "left" | "right";
  value: (row: T) => string;
  style?: (row: T) => Style | undefined;
}

const GAP = "  ";

/** The widths each column gets in `width` columns: shrink the shrinkable ones first. */
function columnWidths<T>(columns: readonly Column<T>[], width: number): number[] {
  const widths = columns.map((column) => column.width);
  const gaps = GAP.length * Math.max(0, columns.length - 1);
  let excess = widths.reduce((a, b) => a + b, 0) + gaps - width;
  for (let i = widths.length - 1; i >= 0 && excess > 0; i--) {
    const min = columns[i]!.minWidth ?? columns[i]!.width;
    const take = Math.min(excess, widths[i]! - min);
    widths[i]! -= take;
    excess -= take;
  }
  return widths;
}

/**
 * A table: a dim header line, then one line per row, each cell truncated with `…` to
 * its column. Shows `empty` when there are no rows; rows past `maxRows` are summed up
 * in a last line.
 */
export function renderTable<T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  width: number,
  maxRows: number,
  empty: string,
): Line[] {
  const widths = columnWidths(columns, width);
  const cells = (values: string[]) =>
    values.flatMap((value, i) => {
      const column = columns[i]!;
      return [span(i === 0 ? "" : GAP), span(fit(value, widths[i]!, column.align))];
    });
  const header = clipLine(
    cells(columns.map((c) => c.title)).map((part) => ({ ...part, style: "dim" as const })),
    width,
  );
  if (rows.length === 0) return [header, clipLine([span(empty, "dim")], width)];

  const shown = rows.length > maxRows ? Math.max(0, maxRows - 1) : rows.length;
  const lines: Line[] = [header];
  for (const row of rows.slice(0, shown)) {
    const line: Line = [];
    columns.forEach((column, i) => {
      if (i > 0) line.push(span(GAP));
      line.push(span(fit(column.value(row), widths[i]!, column.align), column.style?.(row)));
    });
    lines.push(clipLine(line, width));
  }
  if (shown < rows.length) {
    lines.push(clipLine([span(`… and ${rows.length - shown} more`, "dim")], width));
  }
  return lines;
}

/** A chalk that paints with colours, or one that leaves text as it is. */
export function createPainter(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

/** Turns lines of spans into strings, with colours when `chalk` has them. */
export function paintLines(lines: readonly Line[], chalk: ChalkInstance): string[] {
  return lines.map((line) =>
    line
      .map((part) => {
        if (!part.style || part.text === "") return part.text;
        const styles = typeof part.style === "string" ? [part.style] : part.style;
        let painter = chalk;
        for (const style of styles) painter = painter[style];
        return painter(part.text);
      })
      .join(""),
  );
}

/**
 * Stacks panes into exactly `rows` lines (fewer only when there is nothing to show):
 * fixed lines at the top and bottom, the flexible pane in between, cut or padded.
 */
export function stack(top: Line[], middle: Line[], bottom: Line[], rows: number): Line[] {
  const room = Math.max(0, rows - top.length - bottom.length);
  const body = middle.slice(0, room);
  while (body.length < room) body.push([]);
  return [...top, ...body, ...bottom].slice(0, Math.max(0, rows));
}

export { lineWidth };
