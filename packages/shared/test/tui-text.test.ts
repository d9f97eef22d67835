import { describe, expect, it } from "vitest";
import {
  clipLine,
  createPainter,
  fit,
  paintLines,
  plainText,
  renderLogLines,
  renderTable,
  sanitize,
  span,
  stack,
  textWidth,
  titleRule,
  truncate,
  type Column,
} from "@cares/shared";

describe("text helpers", () => {
  it("truncates with an ellipsis only when the text is too long", () => {
    expect(truncate("worker-1", 8)).toBe("worker-1");
    expect(truncate("worker-12", 8)).toBe("worker-…");
    expect(truncate("anything", 0)).toBe("");
    expect(truncate("abc", 1)).toBe("…");
  });

  it("fits text to a width, left or right aligned", () => {
    expect(fit("ab", 4)).toBe("ab  ");
    expect(fit("ab", 4, "right")).toBe("  ab");
    expect(fit("abcdef", 4)).toBe("abc…");
  });

  it("replaces control characters so a line cannot move the cursor", () => {
    expect(sanitize("a\nb\u001b[2Jc\td")).toBe("a b [2Jc d");
  });

  it("clips a line of spans to the width, marking the cut", () => {
    const line = [span("hello ", "bold"), span("world", "red")];
    expect(plainText(clipLine(line, 20))).toBe("hello world");
    const clipped = clipLine(line, 8);
    expect(plainText(clipped)).toBe("hello w…");
    expect(textWidth(plainText(clipped))).toBe(8);
  });

  it("draws a title rule across the whole width", () => {
    const rule = plainText(titleRule("Nodes", 20, "(2)"));
    expect(rule).toBe("── Nodes (2) ───────");
    expect(textWidth(plainText(titleRule("A very long title indeed", 10)))).toBe(10);
  });

  it("stacks panes into exactly the given number of rows", () => {
    const lines = stack([[span("top")]], [[span("a")], [span("b")]], [[span("end")]], 6);
    expect(lines.map(plainText)).toEqual(["top", "a", "b", "", "", "end"]);
    expect(stack([[span("top")]], [[span("a")]], [[span("end")]], 2).map(plainText)).toEqual([
      "top",
      "end",
    ]);
  });
});

describe("tables", () => {
  const columns: Column<{ name: string; n: number }>[] = [
    { title: "NAME", width: 10, minWidth: 4, value: (r) => r.name },
    { title: "N", width: 3, align: "right", value: (r) => String(r.n) },
  ];

  it("says so when there are no rows", () => {
    const lines = renderTable(columns, [], 40, 5, "nothing yet").map(plainText);
    expect(lines).toEqual(["NAME          N", "nothing yet"]);
  });

  it("truncates long cells to their column and right-aligns numbers", () => {
    const lines = renderTable(columns, [{ name: "a-very-long-name", n: 7 }], 40, 5, "").map(
      plainText,
    );
    expect(lines[1]).toBe("a-very-lo…    7");
  });

  it("shrinks the flexible columns on a narrow terminal, then cuts", () => {
    const narrow = renderTable(columns, [{ name: "abcdefgh", n: 7 }], 9, 5, "").map(plainText);
    expect(narrow[1]).toBe("abc…    7");
    const tiny = renderTable(columns, [{ name: "abcdefgh", n: 7 }], 5, 5, "").map(plainText);
    for (const line of tiny) expect(textWidth(line)).toBeLessThanOrEqual(5);
  });

  it("sums up the rows that do not fit", () => {
    const rows = Array.from({ length: 6 }, (_, i) => ({ name: `n${i}`, n: i }));
    const lines = renderTable(columns, rows, 40, 3, "").map(plainText);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("… and 4 more");
  });
});

describe("painting", () => {
  const lines = [[span("ok", "green"), span(" plain")]];

  it("leaves text as it is with colour switched off", () => {
    expect(paintLines(lines, createPainter(false))).toEqual(["ok plain"]);
  });

  it("adds escape sequences with colour on", () => {
    const [painted] = paintLines(lines, createPainter(true));
    expect(painted).toContain("\u001b[32m");
    expect(painted!.replace(/\u001b\[\d+m/g, "")).toBe("ok plain");
  });
});

describe("log lines", () => {
  const time = new Date(2026, 0, 2, 3, 4, 5).getTime();

  it("shows the newest lines at the bottom, tagged with their source", () => {
    const lines = ["one", "two", "three"].map((message) => ({
      time,
      level: "info" as const,
      source: "worker-1",
      message,
    }));
    const shown = renderLogLines(lines, 80, 2).map(plainText);
    expect(shown).toEqual([
      "03:04:05 [INFO] worker-1       two",
      "03:04:05 [INFO] worker-1       three",
    ]);
  });

  it("cuts long lines to the width and flattens newlines", () => {
    const line = {
      time,
      level: "error" as const,
      source: "orchestrator",
      message: "x\ny".repeat(50),
    };
    const [shown] = renderLogLines([line], 40, 1).map(plainText);
    expect(textWidth(shown!)).toBe(40);
    expect(shown).toContain("[ERROR]");
    expect(shown!.endsWith("…")).toBe(true);
    expect(shown).not.toContain("\n");
  });
});
