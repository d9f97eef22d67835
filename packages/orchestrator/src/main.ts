// The orchestrator program: `pnpm --filter orchestrator start -- --help`.
import { ConfigError, Logger, isCaresError, routeGrpcLogs, streamSink } from "@cares/shared";
import { loadOrchestratorConfig } from "./config.js";
import { startOrchestrator } from "./orchestrator.js";

/** Start-up failures a person can fix, told in one line rather than a stack. */
const FATAL_START_CODES = new Set([
  "port_in_use",
  "listen_failed",
  "database_unavailable",
  "database_too_new",
  "invalid_config",
]);

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadOrchestratorConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`orchestrator: ${problem}\n`);
    process.exit(2);
  }
  if ("help" in loaded) {
    process.stdout.write(`${loaded.help}\n`);
    return;
  }
  const { config } = loaded;
  // Limitation: the terminal UI is not drawn yet; with or without --no-tui the
  // orchestrator prints plain log lines.
  const log = new Logger(streamSink(process.stdout, config.logFormat), { level: config.logLevel });
  routeGrpcLogs(log.child({ component: "grpc" }));

  let orchestrator;
  try {
    orchestrator = await startOrchestrator({ ...config, log });
  } catch (error) {
    if (isCaresError(error) && FATAL_START_CODES.has(error.code)) {
      process.stderr.write(`orchestrator: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("Received {signal}; shutting down.", { signal });
    orchestrator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `orchestrator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
