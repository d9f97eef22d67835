import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { CaresError, describeError } from "@cares/shared";
import { migrate } from "./migrations.js";

/** The database file inside the data directory. */
export const DATABASE_FILE = "cares.db";

/**
 * Opens (creating it and its folder on first start) the orchestrator's database under
 * `dataDir`, and brings its schema up to date. Without a `dataDir` the database lives
 * in memory and nothing outlives the process (tests).
 *
 * The journal is a write-ahead log with `synchronous = NORMAL`: a commit survives the
 * orchestrator being killed at any moment; only a crash of the whole machine may lose
 * the last commits.
 */
export function openDatabase(dataDir: string | undefined): Database {
  let db: Database;
  try {
    if (dataDir === undefined) {
      db = new BetterSqlite3(":memory:");
    } else {
      makeFolder(resolve(dataDir));
      db = new BetterSqlite3(join(dataDir, DATABASE_FILE));
    }
  } catch (error) {
    throw new CaresError(
      "database_unavailable",
      `cannot open the database in ${dataDir}: ${describeError(error)}`,
      { cause: error },
    );
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    migrate(db);
  } catch (error) {
    db.close();
    if (error instanceof CaresError) throw error;
    throw new CaresError(
      "database_unavailable",
      `cannot prepare the database in ${dataDir}: ${describeError(error)}`,
      { cause: error },
    );
  }
  return db;
}

/**
 * Makes `dir` and its missing parents, one level at a time. Node's own recursive
 * mkdirSync never returns for a path under a file system that refuses new folders with
 * ENOENT, such as /proc; one level at a time, that refusal is an error like any other.
 */
function makeFolder(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeFolder(parent);
  mkdirSync(dir, { mode: 0o700 });
}
