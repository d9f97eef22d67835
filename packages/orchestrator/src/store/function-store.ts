import type { Database, Statement } from "better-sqlite3";
import type { FunctionPersistence, FunctionSpec } from "../registry/function-registry.js";

interface FunctionRow {
  name: string;
  spec: string;
}

/** Registered functions in the database, so that they outlive the orchestrator. */
export class FunctionStore implements FunctionPersistence {
  readonly #insert: Statement<[string, string, number]>;
  readonly #delete: Statement<[string]>;
  readonly #all: Statement<[], FunctionRow>;

  constructor(db: Database) {
    this.#insert = db.prepare("INSERT INTO functions (name, spec, created_at) VALUES (?, ?, ?)");
    this.#delete = db.prepare("DELETE FROM functions WHERE name = ?");
    this.#all = db.prepare("SELECT name, spec FROM functions ORDER BY name");
  }

  save(spec: FunctionSpec): void {
    this.#insert.run(spec.name, JSON.stringify(spec), spec.createdAt.getTime());
  }

  delete(name: string): void {
    this.#delete.run(name);
  }

  /** Every stored function, as it was registered. */
  loadAll(): FunctionSpec[] {
    return this.#all.all().map((row) => revive(row.spec));
  }
}

function revive(text: string): FunctionSpec {
  const stored = JSON.parse(text) as Omit<FunctionSpec, "createdAt"> & { createdAt: string };
  // No prototype, as parseFunctionSpec builds it, so that every variable name is kept.
  const env = Object.assign(Object.create(null) as Record<string, string>, stored.env);
  return { ...stored, env, createdAt: new Date(stored.createdAt) };
}
