// The database: created on a fresh data folder, migrated by version, and the history
// bounded by count and age.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Logger } from "@cares/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvocationHistory } from "../src/history/invocation-history.js";
import { parseFunctionSpec } from "../src/registry/function-settings.js";
import { DATABASE_FILE, openDatabase } from "../src/store/database.js";
import { FunctionStore } from "../src/store/function-store.js";
import { MIGRATIONS, migrate } from "../src/store/migrations.js";
import { openState } from "../src/store/open-state.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cares-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const quiet = new Logger(() => {});
/** Variables named like Object members, an empty value and text beyond ASCII. */
const TRICKY_ENV = '{"__proto__": "x", "constructor": "y", "EMPTY": "", "UNICODE": "✓ end"}';
const LIMITS = { maxCount: 1000, maxAgeMs: 3_600_000 };

describe("a fresh data directory", () => {
  it("is created, nested folders and all, and refuses none of the writes CARES makes", () => {
    const dataDir = join(dir, "not", "there", "yet");
    const state = openState({ dataDir, history: LIMITS, log: quiet });

    // Every setting, with values at their edges.
    state.functions.add(
      parseFunctionSpec({
        name: "a".repeat(63),
        image: "registry.example:5000/team/app:1.2@sha256:" + "0".repeat(64),
        timeout: "15m",
        memory: "64Gi",
        cpus: 64,
        env: JSON.parse(TRICKY_ENV),
        network: true,
        contentType: 'text/plain; charset="utf-8"',
        pull: "never",
        concurrency: 10_000,
        maxOutput: "48Mi",
      }),
    );
    state.functions.add(parseFunctionSpec({ name: "b", image: "cares/echo" }));
    state.functions.remove("b");

    const history = state.history;
    history.queue({ id: "q", function: "a", stdin: Buffer.alloc(0), env: {} });
    history.queue({ id: "big", function: "a", stdin: Buffer.alloc(6 << 20, 1), env: { A: "1" } });
    for (const [id, status] of [
      ["s", "succeeded"],
      ["f", "failed"],
      ["t", "timed-out"],
      ["c", "cancelled"],
      ["e", "error"],
    ] as const) {
      history.started({ id, function: "a", node: "w1", requestBytes: 0 });
      history.ended(id, {
        status,
        exitCode: -1,
        durationMs: 0.4,
        responseBytes: 0,
        error: { code: "x", message: "" },
        output: { stdout: Buffer.from([0xff, 0]), stderr: "", outputTruncated: true },
      });
    }
    history.started({ id: "q", function: "a", node: "w1", requestBytes: 0 });
    history.ended("q", {
      status: "succeeded",
      output: { stdout: Buffer.from("ok"), stderr: "", outputTruncated: false },
    });
    history.abandon("big", { code: "function_not_found", message: "gone" });
    history.started({ id: "r", function: "a", node: "w1", requestBytes: 1 });
    expect(history.loseRunning()).toBe(1);
    history.prune();

    expect(history.get("q")).toMatchObject({ status: "succeeded", async: true });
    expect(history.output("q")?.stdout.toString()).toBe("ok");
    expect(history.get("big")).toMatchObject({ status: "error" });
    expect(history.get("r")).toMatchObject({ status: "lost", error: { code: "lost" } });
    expect(history.list({ limit: 100 })).toHaveLength(8);
    expect(state.databaseOk()).toBe(true);
    state.close();

    const again = openState({ dataDir, history: LIMITS, log: quiet });
    const [spec] = again.functions.list();
    expect(spec).toMatchObject({ name: "a".repeat(63), timeoutMs: 900_000, cpus: 64 });
    expect(Object.getPrototypeOf(spec!.env)).toBeNull();
    expect(spec!.env).toEqual(
      Object.assign(Object.create(null), {
        ["__proto__"]: "x",
        constructor: "y",
        EMPTY: "",
        UNICODE: "✓ end",
      }),
    );
    expect(spec!.createdAt).toBeInstanceOf(Date);
    again.close();
  });

  it("says what is wrong when the folder cannot be made", () => {
    const blocker = join(dir, "file");
    openDatabase(dir).close();
    rmSync(join(dir, DATABASE_FILE));
    writeFileSync(blocker, "");
    expect(() => openDatabase(join(blocker, "data"))).toThrow(/cannot open the database in/);
  });
});

describe("migrations", () => {
  it("run each step once, in order, and record the version", () => {
    const db = openDatabase(dir);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    expect(migrate(db)).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
  });

  it("bring an older database up to date, keeping what it holds", () => {
    const file = join(dir, DATABASE_FILE);
    const old = new BetterSqlite3(file);
    migrate(old, MIGRATIONS.slice(0, 1));
    new FunctionStore(old).save(parseFunctionSpec({ name: "kept", image: "cares/echo" }));
    old.close();

    const state = openState({ dataDir: dir, history: LIMITS, log: quiet });
    expect(state.functions.get("kept").image).toBe("cares/echo");
    state.history.started({ id: "x", function: "kept", node: "w1", requestBytes: 0 });
    state.close();
  });

  it("refuse a database written by a newer CARES", () => {
    const db = new BetterSqlite3(join(dir, DATABASE_FILE));
    db.pragma("user_version = 999");
    db.close();
    expect(() => openDatabase(dir)).toThrow(/schema version 999, newer than/);
  });
});

describe("the history's bounds", () => {
  it("keeps at most maxCount ended calls, and never drops queued or running ones", () => {
    const db = openDatabase(undefined);
    let now = 1_000_000;
    const history = new InvocationHistory(db, { maxCount: 3, maxAgeMs: 1e9 }, () => now++);
    history.queue({ id: "queued", function: "f", stdin: Buffer.alloc(0), env: {} });
    history.started({ id: "running", function: "f", node: "w", requestBytes: 0 });
    for (let i = 0; i < 5; i++) {
      history.started({ id: `e${i}`, function: "f", node: "w", requestBytes: 0 });
      history.ended(`e${i}`, { status: "succeeded" });
    }
    expect(history.prune()).toBe(2);
    expect(history.list({ limit: 10 }).map((r) => r.id)).toEqual([
      "e4",
      "e3",
      "e2",
      "running",
      "queued",
    ]);
    db.close();
  });

  it("drops ended calls older than maxAge", () => {
    const db = openDatabase(undefined);
    let now = 0;
    const history = new InvocationHistory(db, { maxCount: 100, maxAgeMs: 1000 }, () => now);
    history.started({ id: "old", function: "f", node: "w", requestBytes: 0 });
    history.ended("old", { status: "failed" });
    now = 5000;
    history.started({ id: "new", function: "f", node: "w", requestBytes: 0 });
    history.ended("new", { status: "succeeded" });
    expect(history.prune()).toBe(1);
    expect(history.get("old")).toBeUndefined();
    expect(history.get("new")).toBeDefined();
    db.close();
  });

  it("drops the saved input and output of an asynchronous call with it", () => {
    const db = openDatabase(undefined);
    const history = new InvocationHistory(db, { maxCount: 1, maxAgeMs: 1e9 });
    for (const id of ["a", "b"]) {
      history.queue({ id, function: "f", stdin: Buffer.from("in"), env: {} });
      history.started({ id, function: "f", node: "w", requestBytes: 2 });
      history.ended(id, {
        status: "succeeded",
        output: { stdout: Buffer.from("out"), stderr: "", outputTruncated: false },
      });
    }
    history.prune();
    const payloads = db.prepare("SELECT count(*) AS n FROM async_payloads").get() as {
      n: number;
    };
    expect(payloads.n).toBe(1);
    db.close();
  });
});

describe("a data folder that cannot be made", () => {
  it("is refused with database_unavailable instead of hanging", () => {
    expect(() => openDatabase("/proc/cares-no-such-folder/data")).toThrow(
      expect.objectContaining({ code: "database_unavailable" }),
    );
  });
});
