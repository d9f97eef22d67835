import { startClusterServer, startHttpServer, type Logger } from "@cares/shared";
import { toNodeHandler } from "h3/node";
import { WorkerClients } from "./dispatch/worker-clients.js";
import { ClusterEvents } from "./events/cluster-events.js";
import { serveEventStream } from "./events/event-stream.js";
import { trackInvocations } from "./events/track-invocations.js";
import { clusterHandlers } from "./grpc/cluster-service.js";
import { logReportHandlers } from "./grpc/log-reports.js";
import { createHttpApp } from "./http/app.js";
import { Invoker } from "./invoke/invoker.js";
import { FunctionRegistry } from "./registry/function-registry.js";
import { NodeRegistry } from "./registry/node-registry.js";
import { builtinStrategies } from "./scheduler/strategies.js";

export interface OrchestratorOptions {
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
}

export type Lifecycle = "starting" | "running" | "stopping" | "stopped";

/** A running orchestrator: its registries, its bound ports and a way to stop it. */
export interface RunningOrchestrator {
  functions: FunctionRegistry;
  nodes: NodeRegistry;
  events: ClusterEvents;
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

  const functions = new FunctionRegistry();
  const nodes = new NodeRegistry({ log: log.child({ component: "nodes" }) });
  const clients = new WorkerClients();
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

  const grpcServer = await startClusterServer(
    {
      ...clusterHandlers(nodes, clients, log.child({ component: "grpc" })),
      ...logReportHandlers(nodes, events),
    },
    options.host,
    options.grpcPort,
  );
  let http;
  try {
    const app = createHttpApp({
      functions,
      nodes,
      invoker,
      log: log.child({ component: "http" }),
      maxBodyBytes: options.maxBodyBytes,
    });
    http = await startHttpServer(toNodeHandler(app), options.host, options.httpPort);
  } catch (error) {
    await grpcServer.close(0);
    throw error;
  }
  const stream = serveEventStream(http.server, events, log.child({ component: "events" }));

  const sweeper = setInterval(() => nodes.sweep(), options.sweepIntervalMs ?? 250);
  sweeper.unref();
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
    httpPort: http.port,
    grpcPort: grpcServer.port,
    async stop() {
      if (state !== "running") return;
      enter("stopping");
      clearInterval(sweeper);
      stream.close();
      detachEvents();
      await Promise.all([http.close(), grpcServer.close()]);
      clients.closeAll();
      enter("stopped");
      log.info("Orchestrator stopped.");
    },
  };
}
