// The orchestrator program: `pnpm --filter orchestrator start -- --help`.
import {
  Logger,
  captureConsole,
  isCaresError,
  routeGrpcLogs,
  routeProcessWarnings,
  silentSink,
  streamSink,
  teeSink,
  settingsOrExit,
} from "@cares/shared";
import { loadOrchestratorConfig } from "./config.js";
import { ClusterEvents } from "./events/cluster-events.js";
import { startOrchestrator } from "./orchestrator.js";
import { parseFunctionSpec } from "./registry/function-settings.js";
import { ClusterTui } from "./tui/cluster-tui.js";

/** Set while the TUI owns the terminal, so that every way out gives it back first. */
let tui: ClusterTui | undefined;

function fail(message: string, code: number): never {
  tui?.stop();
  process.stderr.write(`orchestrator: ${message}\n`);
  process.exit(code);
}

/** Start-up failures a person can fix, told in one line rather than a stack. */
const FATAL_START_CODES = new Set([
  "port_in_use",
  "listen_failed",
  "database_unavailable",
  "database_too_new",
  "invalid_config",
]);

async function main(): Promise<void> {
  const config = settingsOrExit("orchestrator", loadOrchestratorConfig);
  if (!config) return;

  // With a terminal the TUI draws every line; without one, lines go to stdout as text
  // or JSON. Either way every line also joins the cluster's story for /events.
  const useTui = config.tui && process.stdout.isTTY === true && process.stdin.isTTY === true;
  const events = new ClusterEvents({ cluster: config.clusterName });
  const consoleSink = useTui ? silentSink : streamSink(process.stdout, config.logFormat);
  const log = new Logger(teeSink(consoleSink, events.logSink), { level: config.logLevel });
  routeGrpcLogs(log.child({ component: "grpc" }));
  routeProcessWarnings(log.child({ component: "node" }));

  let stopping = false;
  let orchestrator: Awaited<ReturnType<typeof startOrchestrator>> | undefined;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info("Received {signal}; shutting down.", { signal: reason });
    const done = (code: number) => {
      tui?.stop();
      process.exit(code);
    };
    if (!orchestrator) return done(0);
    orchestrator.stop().then(
      () => done(0),
      () => done(1),
    );
  };

  if (useTui) {
    captureConsole(log);
    const view = new ClusterTui({
      stdout: process.stdout,
      stdin: process.stdin,
      color: process.stdout.hasColors?.() ?? false,
      mode: "live",
      onQuit: () => stop("quit key"),
      log: log.child({ component: "tui" }),
    });
    events.subscribe((event) => view.apply(event));
    view.start();
    tui = view;
    process.on("exit", () => view.stop());
  }

  try {
    orchestrator = await startOrchestrator({ ...config, log, events });
  } catch (error) {
    if (isCaresError(error) && FATAL_START_CODES.has(error.code)) {
      fail(error.message, 1);
    }
    throw error;
  }

  const { functions } = orchestrator;
  const terminalLog = log.child({ component: "tui" });
  tui?.enableActions({
    register(name, image) {
      functions.add(parseFunctionSpec({ name, image }));
      terminalLog.info("Function '{function}' registered from the terminal.", {
        function: name,
        image,
      });
    },
    remove(name) {
      functions.remove(name);
      terminalLog.info("Function '{function}' removed from the terminal.", { function: name });
    },
    names: () => functions.list().map((spec) => spec.name),
  });

  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error), 1);
});
