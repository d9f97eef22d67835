// The worker program: `pnpm --filter worker start -- --help`.
import {
  Logger,
  OrchestratorClient,
  captureConsole,
  isCaresError,
  routeGrpcLogs,
  routeProcessWarnings,
  streamSink,
  teeSink,
  type LogSink,
  settingsOrExit,
} from "@cares/shared";
import { loadWorkerConfig } from "./config.js";
import { LogForwarder } from "./logs/log-forwarder.js";
import { METRICS_SOURCES } from "./metrics/builtins.js";
import { RecordedMetrics } from "./metrics/recorded-metrics.js";
import { WorkerTui } from "./tui/worker-tui.js";
import { startWorker } from "./worker.js";

/** Set while the TUI owns the terminal, so that every way out gives it back first. */
let tui: WorkerTui | undefined;

function fail(message: string, code: number): never {
  tui?.stop();
  process.stderr.write(`worker: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const config = settingsOrExit("worker", loadWorkerConfig);
  if (!config) return;

  // With a terminal the TUI draws every line; without one, lines go to stdout as text
  // or JSON. Either way every line is also forwarded to the orchestrator.
  const useTui = config.tui && process.stdout.isTTY === true && process.stdin.isTTY === true;
  let stopping = false;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const stop = (reason: string) => {
    const done = (code: number) => {
      tui?.stop();
      process.exit(code);
    };
    if (stopping) {
      log.warn("Received {signal} again; stopping at once.", { signal: reason });
      return done(1);
    }
    stopping = true;
    log.info("Received {signal}; draining, then shutting down (again to force).", {
      signal: reason,
    });
    if (!worker) return done(0);
    worker.stop().then(
      () => forwarder.flush().finally(() => done(0)),
      () => done(1),
    );
  };

  const forwarder = new LogForwarder();
  let consoleSink: LogSink;
  if (useTui) {
    tui = new WorkerTui({
      stdout: process.stdout,
      stdin: process.stdin,
      color: process.stdout.hasColors?.() ?? false,
      orchestrator: config.orchestrator,
      onQuit: () => stop("quit key"),
    });
    consoleSink = tui.sink;
  } else {
    consoleSink = streamSink(process.stdout, config.logFormat);
  }
  const log = new Logger(teeSink(consoleSink, forwarder.sink), { level: config.logLevel });
  routeGrpcLogs(log.child({ component: "grpc" }));
  routeProcessWarnings(log.child({ component: "node" }));
  if (tui) {
    captureConsole(log);
    tui.start();
    const view = tui;
    process.on("exit", () => view.stop());
  }
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  const metrics = new RecordedMetrics(METRICS_SOURCES[config.metrics]!(config.metricsSettings));
  const reporter = new OrchestratorClient(config.orchestrator);
  try {
    worker = await startWorker({ ...config, log, metricsSource: metrics });
  } catch (error) {
    if (isCaresError(error)) fail(error.message, 1);
    throw error;
  }
  const running = worker;
  forwarder.connect(reporter, () => running.membership.nodeId);
  if (tui) {
    const view = tui;
    const poll = setInterval(() => {
      view.update({
        connection: running.membership.state,
        cpuUsage: metrics.last?.cpuUsage,
        memoryUsage: metrics.last?.memoryUsage,
      });
    }, 500);
    poll.unref();
  }
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error), 1);
});
