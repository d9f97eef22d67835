// The worker program: `pnpm --filter worker start -- --help`.
import { ConfigError, Logger, isCaresError, routeGrpcLogs, streamSink } from "@cares/shared";
import { loadWorkerConfig } from "./config.js";
import { startWorker } from "./worker.js";

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadWorkerConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`worker: ${problem}\n`);
    process.exit(2);
  }
  if ("help" in loaded) {
    process.stdout.write(`${loaded.help}\n`);
    return;
  }
  const { config } = loaded;
  // Limitation: the terminal UI is not drawn yet; with or without --no-tui the worker
  // prints plain log lines.
  const log = new Logger(streamSink(process.stdout, config.logFormat), { level: config.logLevel });
  routeGrpcLogs(log.child({ component: "grpc" }));

  let stopping = false;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn("Received {signal} again; stopping at once.", { signal });
      process.exit(1);
    }
    stopping = true;
    log.info("Received {signal}; draining, then shutting down (again to force).", { signal });
    if (!worker) process.exit(0);
    worker.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  try {
    worker = await startWorker({ ...config, log });
  } catch (error) {
    if (isCaresError(error)) {
      process.stderr.write(`worker: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
