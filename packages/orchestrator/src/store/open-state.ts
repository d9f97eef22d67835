import { checkImageReference, checkName, type Logger } from "@cares/shared";
import { InvocationHistory, type HistoryLimits } from "../history/invocation-history.js";
import { FunctionRegistry } from "../registry/function-registry.js";
import { openDatabase } from "./database.js";
import { FunctionStore } from "./function-store.js";

/** What the orchestrator keeps in its database, ready to use. */
export interface OrchestratorState {
  functions: FunctionRegistry;
  history: InvocationHistory;
  /** True when the database answers a query. */
  databaseOk(): boolean;
  close(): void;
}

/**
 * Opens the database under `dataDir` and loads what it holds: the registered functions
 * come back into a FunctionRegistry that writes every change through to the database.
 */
export function openState(options: {
  dataDir: string | undefined;
  history: HistoryLimits;
  log: Logger;
}): OrchestratorState {
  const db = openDatabase(options.dataDir);
  const store = new FunctionStore(db);
  const functions = new FunctionRegistry(store);
  for (const spec of store.loadAll()) {
    // A row that no longer passes today's checks stays in the database, unused.
    const problem = checkName(spec.name) ?? checkImageReference(spec.image);
    if (problem) {
      options.log.warn("Stored function '{function}' skipped: {problem}.", {
        function: spec.name,
        problem,
      });
      continue;
    }
    functions.restore(spec);
  }
  const history = new InvocationHistory(db, options.history);
  history.prune();
  const ping = db.prepare("SELECT 1");
  options.log.info("Database open in {dataDir}: {functions} functions.", {
    dataDir: options.dataDir ?? "memory",
    functions: functions.size,
  });
  return {
    functions,
    history,
    databaseOk() {
      try {
        return db.open && ping.get() !== undefined;
      } catch {
        return false;
      }
    },
    close() {
      if (db.open) db.close();
    },
  };
}
