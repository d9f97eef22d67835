import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Writes fake-executor rule files into one temporary folder, removed by `remove()`. */
export class FakeRulesFolder {
  readonly #dir = mkdtempSync(join(tmpdir(), "cares-fake-"));
  #count = 0;

  /** Writes `rules` (image → FakeRule) and returns the file's path for --fake-rules. */
  write(rules: Record<string, unknown>): string {
    const file = join(this.#dir, `rules-${this.#count++}.json`);
    writeFileSync(file, JSON.stringify(rules));
    return file;
  }

  remove(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
