import {
  startClusterServer,
  startHttpServer,
  type ClusterSecurity,
  type Logger,
} from "@cares/shared";
import { toNodeHandler } from "h3/node";
import { AsyncInvocations } from "./async/async-invocations.js";
import { WorkerClients } from "./dispatch/worker-clients.js";
import { ClusterEvents } from "./events/cluster-events.js";
import { serveEventStream } from "./events/event-stream.js";
import { trackInvocations } from "./events/track-invocations.js";
import { clusterHandlers } from "./grpc/cluster-service.js";
import { logReportHandlers } from "./grpc/log-reports.js";
import { historyHooks } from "./history/history-recorder.js";
import type { InvocationHistory } from "./history/invocation-history.js";
import { createHttpApp } from "./http/app.js";
import { bearerCheck, type BearerCheck } from "./http/auth.js";
import { Invoker } from "./invoke/invoker.js";
import { OrchestratorMetrics } from "./metrics/orchestrator-metrics.js";
import type { FunctionRegistry } from "./registry/function-registry.js";
import { NodeRegistry } from "./registry/node-registry.js";
import { builtinStrategies } from "./scheduler/strategies.js";
import { openState } from "./store/open-state.js";
import { STATE_DEFAULTS, type StateOptions } from "./store/state-options.js";

export interface OrchestratorOptions extends Partial<StateOptions> {
  host: string;
  httpPort: number;
  grpcPort: number;
  maxBodyBytes: number;
  /** The scheduling strategy's name; least-cost when absent. */
  strategy?: string;
  log: Logger;
  /** How often node health is checked. */
  sweepIntervalMs?: number;
  /** The cluster's story for the TUI and `/events`; one is made when not given. */
  events?: ClusterEvents;
  /** The HTTP API's bearer token; the API is open without one. */
  apiToken?: string;
  /** The join token and TLS of the gRPC side. */
  security?: ClusterSecurity;
}

/** How long a request's head and body may take to arrive. */
export const REQUEST_TIMEOUT_MS = 60_000;

export type Lifecycle = "starting" | "running" | "stopping" | "stopped";

/** A running orchestrator: its registries, its bound ports and a way to stop it. */
export interface RunningOrchestrator {
  functions: FunctionRegistry;
  nodes: NodeRegistry;
  events: ClusterEvents;
  history: InvocationHistory;
  metrics: OrchestratorMetrics;
  /** The HTTP API's token check, for anything else served on the HTTP port. */
  checkBearer: BearerCheck;
  httpPort: number;
  grpcPort: number;
  stop(): Promise<void>;
}

/** Starts the gRPC side for workers, then the HTTP API, and keeps node health current. */
export async function startOrchestrator(
  options: OrchestratorOptions,
): Promise<RunningOrchestrator> {
  const log = options.log;
  const lifecycle = log.child({ component: "lifecycle" });
  let state: Lifecycle = "starting";
  const enter = (next: Lifecycle) => {
    lifecycle.debug("Orchestrator {from} -> {to}.", { from: state, to: next });
    state = next;
  };

  const settings = withStateDefaults(options);
  const stored = openState({
    dataDir: settings.dataDir,
    history: { maxCount: settings.historyMaxCount, maxAgeMs: settings.historyMaxAgeMs },
    log: log.child({ component: "store" }),
  });
  const functions = stored.functions;
  const nodes = new NodeRegistry({ log: log.child({ component: "nodes" }) });
  const clients = new WorkerClients(options.security);
  const invoker = new Invoker({
    functions,
    nodes,
    clients,
    log: log.child({ component: "invoker" }),
    strategy: builtinStrategies().create(options.strategy ?? "least-cost"),
  });
  const events = options.events ?? new ClusterEvents({ cluster: "cares" });
  const detachEvents = events.attach(nodes, functions);
  trackInvocations(invoker, events);
  invoker.hooks.add(historyHooks(stored.history));
  const asyncCalls = new AsyncInvocations({
    invoker,
    functions,
    history: stored.history,
    log: log.child({ component: "async" }),
    maxQueued: settings.maxQueued,
    concurrency: settings.asyncConcurrency,
    waitForNodeMs: settings.asyncWaitMs,
  });
  const metrics = new OrchestratorMetrics({
    functions,
    nodes,
    asyncBacklog: () => asyncCalls.backlog,
  });
  invoker.hooks.add(metrics.hooks());
  const checkBearer = bearerCheck(options.apiToken);

  let grpcServer;
  try {
    grpcServer = await startClusterServer(
      {
        ...clusterHandlers(nodes, clients, log.child({ component: "grpc" })),
        ...logReportHandlers(nodes, events),
      },
      options.host,
      options.grpcPort,
      options.security,
    );
  } catch (error) {
    detachEvents();
    stored.close();
    throw error;
  }
  let http;
  try {
    const app = createHttpApp({
      functions,
      nodes,
      invoker,
      log: log.child({ component: "http" }),
      maxBodyBytes: options.maxBodyBytes,
      checkBearer,
      maxInFlight: settings.maxInFlight,
      history: stored.history,
      asyncCalls,
      metrics,
      readiness: () => ({
        database: stored.databaseOk(),
        activeNodes: nodes.list().filter((node) => node.status === "Active").length,
      }),
    });
    http = await startHttpServer(toNodeHandler(app), options.host, options.httpPort, "HTTP", {
      maxHeaderSize: settings.maxHeaderBytes,
      // A caller that stops sending its body must not hold a slot for Node's 5 minutes.
      requestTimeout: REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    await grpcServer.close(0);
    stored.close();
    throw error;
  }
  const stream = serveEventStream(http.server, events, log.child({ component: "events" }), {
    authorize: checkBearer,
  });

  const sweeper = setInterval(() => nodes.sweep(), options.sweepIntervalMs ?? 250);
  sweeper.unref();
  const pruner = setInterval(() => stored.history.prune(), 60_000);
  pruner.unref();
  asyncCalls.resume();
  enter("running");
  log.info("Orchestrator listening: HTTP on {host}:{httpPort}, gRPC on {host}:{grpcPort}.", {
    host: options.host,
    httpPort: http.port,
    grpcPort: grpcServer.port,
  });

  return {
    functions,
    nodes,
    events,
    history: stored.history,
    metrics,
    checkBearer,
    httpPort: http.port,
    grpcPort: grpcServer.port,
    async stop() {
      if (state !== "running") return;
      enter("stopping");
      clearInterval(sweeper);
      clearInterval(pruner);
      stream.close();
      detachEvents();
      await Promise.all([asyncCalls.stop(), http.close(), grpcServer.close()]);
      clients.closeAll();
      stored.close();
      enter("stopped");
      log.info("Orchestrator stopped.");
    },
  };
}

/** The state settings in `options`, with the defaults for those it leaves out. */
function withStateDefaults(options: OrchestratorOptions): StateOptions {
  const settings: Record<string, unknown> = { ...STATE_DEFAULTS };
  for (const key of Object.keys(STATE_DEFAULTS) as Array<keyof StateOptions>) {
    if (options[key] !== undefined) settings[key] = options[key];
  }
  return settings as unknown as StateOptions;
}
