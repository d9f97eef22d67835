import type { Database } from "better-sqlite3";
import { CaresError } from "@cares/shared";

/** One step of the schema. Steps run in order, each once, each in its own transaction. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The schema, step by step. A step is never changed once released: a new need gets a
 * new step. The database's `user_version` holds the last step applied.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "registered functions",
    sql: `
      CREATE TABLE functions (
        name       TEXT PRIMARY KEY,
        spec       TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: "invocation history and the payloads of asynchronous calls",
    sql: `
      CREATE TABLE invocations (
        id             TEXT PRIMARY KEY,
        function       TEXT NOT NULL,
        node           TEXT,
        status         TEXT NOT NULL,
        async          INTEGER NOT NULL DEFAULT 0,
        exit_code      INTEGER,
        duration_ms    INTEGER,
        request_bytes  INTEGER NOT NULL DEFAULT 0,
        response_bytes INTEGER,
        error_code     TEXT,
        error_message  TEXT,
        created_at     INTEGER NOT NULL,
        started_at     INTEGER,
        finished_at    INTEGER
      ) STRICT;
      CREATE INDEX invocations_by_function ON invocations (function, created_at);
      CREATE INDEX invocations_by_time ON invocations (created_at);
      CREATE INDEX invocations_by_status ON invocations (status);

      CREATE TABLE async_payloads (
        id               TEXT PRIMARY KEY REFERENCES invocations (id) ON DELETE CASCADE,
        stdin            BLOB NOT NULL,
        env              TEXT NOT NULL,
        stdout           BLOB,
        stderr           TEXT,
        output_truncated INTEGER
      ) STRICT;
    `,
  },
];

/**
 * Brings the schema up to the last step. Refuses a database that a newer CARES wrote,
 * rather than guess at a schema it does not know.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma("user_version", { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new CaresError(
      "database_too_new",
      `the database is at schema version ${current}, newer than this orchestrator knows ` +
        `(${latest}); run a newer CARES or use another --data-dir`,
    );
  }
  for (const step of migrations) {
    if (step.version <= current) continue;
    db.transaction(() => {
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    })();
  }
  return latest;
}
