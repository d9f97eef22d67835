import { mkdirSync } from "node:fs";
import { join } from "node:path";
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
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
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
