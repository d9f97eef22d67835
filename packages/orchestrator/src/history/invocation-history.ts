import type { Database, Statement } from "better-sqlite3";

/**
 * Where a call stands. `queued`: accepted asynchronously, not sent yet; `running`: sent
 * to a node; `lost`: it was running when the orchestrator stopped, so its end is not
 * known. The others are ends: `error` means no function ran to an exit code.
 */
export type InvocationStatus =
  "queued" | "running" | "succeeded" | "failed" | "timed-out" | "cancelled" | "error" | "lost";

/** One call as the history keeps it. */
export interface InvocationRecord {
  id: string;
  function: string;
  node: string | null;
  status: InvocationStatus;
  async: boolean;
  exitCode: number | null;
  durationMs: number | null;
  requestBytes: number;
  responseBytes: number | null;
  error: { code: string; message: string } | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** What an asynchronous call printed; kept so that its caller can fetch it later. */
export interface InvocationOutput {
  stdout: Buffer;
  stderr: string;
  outputTruncated: boolean;
}

/** How an ended call is recorded. */
export interface InvocationEnd {
  status: Exclude<InvocationStatus, "queued" | "running">;
  exitCode?: number;
  durationMs?: number;
  responseBytes?: number;
  error?: { code: string; message: string };
  /** Kept only for asynchronous calls. */
  output?: InvocationOutput;
}

/** How much history is kept. Calls that are queued or running are never dropped. */
export interface HistoryLimits {
  maxCount: number;
  maxAgeMs: number;
}

/** The states in which a call has not ended yet. */
const OPEN = "('queued', 'running')";
/** Ended calls between two prunings. */
const PRUNE_EVERY = 100;

interface Row {
  id: string;
  function: string;
  node: string | null;
  status: InvocationStatus;
  async: number;
  exit_code: number | null;
  duration_ms: number | null;
  request_bytes: number;
  response_bytes: number | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

function toRecord(row: Row): InvocationRecord {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    id: row.id,
    function: row.function,
    node: row.node,
    status: row.status,
    async: row.async === 1,
    exitCode: row.exit_code,
    durationMs: row.duration_ms,
    requestBytes: row.request_bytes,
    responseBytes: row.response_bytes,
    error:
      row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? "" },
    createdAt: new Date(row.created_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
  };
}

/**
 * The history of calls in the database, bounded by count and age, and the inputs and
 * outputs of asynchronous calls. Every write is one short transaction.
 *
 * Limitation: no limit on bytes. An asynchronous call's output (at most its function's
 * maxOutput) is kept as long as the call stays in the history, so many large results can
 * make the database large before the count or age limit drops them.
 */
export class InvocationHistory {
  readonly #db: Database;
  readonly #limits: HistoryLimits;
  readonly #now: () => number;
  readonly #sql: Record<string, Statement>;
  #endedSincePrune = 0;

  constructor(db: Database, limits: HistoryLimits, now: () => number = Date.now) {
    this.#db = db;
    this.#limits = limits;
    this.#now = now;
    this.#sql = {
      queue: db.prepare(
        `INSERT INTO invocations (id, function, status, async, request_bytes, created_at)
         VALUES (?, ?, 'queued', 1, ?, ?)`,
      ),
      queuePayload: db.prepare("INSERT INTO async_payloads (id, stdin, env) VALUES (?, ?, ?)"),
      start: db.prepare(
        `INSERT INTO invocations
           (id, function, node, status, request_bytes, created_at, started_at)
         VALUES (@id, @function, @node, 'running', @requestBytes, @now, @now)
         ON CONFLICT (id) DO UPDATE SET node = @node, status = 'running', started_at = @now`,
      ),
      end: db.prepare(
        `UPDATE invocations SET status = @status, exit_code = @exitCode,
           duration_ms = @durationMs, response_bytes = @responseBytes,
           error_code = @errorCode, error_message = @errorMessage, finished_at = @now
         WHERE id = @id AND status = 'running'`,
      ),
      abandon: db.prepare(
        `UPDATE invocations SET status = 'error', error_code = @code, error_message = @message,
           finished_at = @now WHERE id = @id AND status = 'queued'`,
      ),
      endPayload: db.prepare(
        `UPDATE async_payloads SET stdin = x'', stdout = @stdout, stderr = @stderr,
           output_truncated = @truncated WHERE id = @id`,
      ),
      get: db.prepare("SELECT * FROM invocations WHERE id = ?"),
      output: db.prepare(
        "SELECT stdout, stderr, output_truncated FROM async_payloads WHERE id = ?",
      ),
      payload: db.prepare("SELECT stdin, env FROM async_payloads WHERE id = ?"),
      queued: db.prepare(
        "SELECT id, function FROM invocations WHERE status = 'queued' ORDER BY created_at, rowid",
      ),
      lose: db.prepare(
        `UPDATE invocations SET status = 'lost', error_code = 'lost',
           error_message = 'the orchestrator stopped while the call was running',
           finished_at = ? WHERE status = 'running'`,
      ),
      list: db.prepare("SELECT * FROM invocations ORDER BY created_at DESC, rowid DESC LIMIT ?"),
      listByFunction: db.prepare(
        `SELECT * FROM invocations WHERE function = ?
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      ),
      prune: db.prepare(
        `DELETE FROM invocations WHERE status NOT IN ${OPEN} AND (created_at < @oldest
           OR rowid IN (SELECT rowid FROM invocations WHERE status NOT IN ${OPEN}
                        ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET @keep))`,
      ),
    };
  }

  /** Records an asynchronous call that waits to be sent, with its input. */
  queue(call: { id: string; function: string; stdin: Buffer; env: Record<string, string> }) {
    this.#db.transaction(() => {
      this.#sql.queue!.run(call.id, call.function, call.stdin.length, this.#now());
      this.#sql.queuePayload!.run(call.id, call.stdin, JSON.stringify(call.env));
    })();
  }

  /** Records that a call was sent to `node`; creates its entry when it has none yet. */
  started(call: { id: string; function: string; node: string; requestBytes: number }): void {
    this.#sql.start!.run({ ...call, now: this.#now() });
  }

  /**
   * Records how a call that was sent to a node ended. Does nothing for a call that is
   * not running (it ended already, or it never had an entry).
   */
  ended(id: string, end: InvocationEnd): void {
    this.#db.transaction(() => {
      this.#sql.end!.run({
        id,
        status: end.status,
        exitCode: end.exitCode ?? null,
        durationMs: end.durationMs === undefined ? null : Math.round(end.durationMs),
        responseBytes: end.responseBytes ?? null,
        errorCode: end.error?.code ?? null,
        errorMessage: end.error?.message ?? null,
        now: this.#now(),
      });
      if (end.output) {
        this.#sql.endPayload!.run({
          id,
          stdout: end.output.stdout,
          stderr: end.output.stderr,
          truncated: end.output.outputTruncated ? 1 : 0,
        });
      }
    })();
    if (++this.#endedSincePrune >= PRUNE_EVERY) this.prune();
  }

  /** Records that a queued call will never be sent, and why. */
  abandon(id: string, error: { code: string; message: string }): void {
    this.#sql.abandon!.run({ id, ...error, now: this.#now() });
  }

  get(id: string): InvocationRecord | undefined {
    const row = this.#sql.get!.get(id) as Row | undefined;
    return row && toRecord(row);
  }

  /** What an asynchronous call printed, once it has ended. */
  output(id: string): InvocationOutput | undefined {
    const row = this.#sql.output!.get(id) as
      { stdout: Buffer | null; stderr: string | null; output_truncated: number | null } | undefined;
    if (!row || row.stdout === null) return undefined;
    return {
      stdout: row.stdout,
      stderr: row.stderr ?? "",
      outputTruncated: row.output_truncated === 1,
    };
  }

  /** The input of a queued asynchronous call. */
  payload(id: string): { stdin: Buffer; env: Record<string, string> } | undefined {
    const row = this.#sql.payload!.get(id) as { stdin: Buffer; env: string } | undefined;
    return row && { stdin: row.stdin, env: JSON.parse(row.env) as Record<string, string> };
  }

  /** Asynchronous calls not sent yet, oldest first. */
  queued(): Array<{ id: string; function: string }> {
    return this.#sql.queued!.all() as Array<{ id: string; function: string }>;
  }

  /** Marks `lost` every call that was running; for start-up. Returns how many. */
  loseRunning(): number {
    return this.#sql.lose!.run(this.#now()).changes;
  }

  /** The newest calls first, all of them or those of one function. */
  list(options: { function?: string; limit: number }): InvocationRecord[] {
    const rows = (
      options.function === undefined
        ? this.#sql.list!.all(options.limit)
        : this.#sql.listByFunction!.all(options.function, options.limit)
    ) as Row[];
    return rows.map(toRecord);
  }

  /** Drops ended calls past the count or older than the age. Returns how many. */
  prune(): number {
    this.#endedSincePrune = 0;
    return this.#sql.prune!.run({
      oldest: this.#now() - this.#limits.maxAgeMs,
      keep: this.#limits.maxCount,
    }).changes;
  }
}
