import { availableParallelism, totalmem } from "node:os";
import {
  CaresError,
  OrchestratorClient,
  startClusterServer,
  type ClusterHandlers,
  type ClusterSecurity,
  type Logger,
  type RunningHttpServer,
} from "@cares/shared";
import { builtinExecutors } from "./executor/builtins.js";
import { DockerExecutor } from "./executor/docker/docker-executor.js";
import type { Executor } from "./executor/executor.js";
import { ExecutionService } from "./grpc/execution-service.js";
import { checkExecutionRequest } from "./grpc/request-checks.js";
import { Membership } from "./membership/membership.js";
import { METRICS_SOURCES, type MetricsSettings } from "./metrics/builtins.js";
import type { MetricsSource } from "./metrics/metrics-source.js";
import { startMetricsServer } from "./metrics-server/metrics-server.js";
import { WorkerMetrics } from "./metrics-server/worker-metrics.js";

/** A call's timeout when the request gives none. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface WorkerOptions {
  orchestrator: string;
  host: string;
  port: number;
  advertise: string;
  name: string;
  executor: string;
  executorSettings: Record<string, string>;
  heartbeatIntervalMs: number;
  /** Calls run at once; 0 for twice the CPU count. */
  capacity?: number;
  /** The metrics source's name (`host`, `cgroup`, `fake`); `host` when absent. */
  metrics?: string;
  metricsSettings?: MetricsSettings;
  /** How long running calls get to finish when the worker stops. */
  drainTimeoutMs?: number;
  log: Logger;
  /** Replaces the executor built from `executor`; for tests. */
  executorInstance?: Executor;
  /** Replaces the metrics source named by `metrics`; for tests. */
  metricsSource?: MetricsSource;
  /** The join token and TLS of the gRPC side, both ways. */
  security?: ClusterSecurity;
  /** Port of the metrics server: 0 picks a free one; -1 or absent serves none. */
  metricsPort?: number;
}

export type Lifecycle = "starting" | "running" | "draining" | "stopped";

export interface RunningWorker {
  name: string;
  port: number;
  address: string;
  executor: Executor;
  membership: Membership;
  service: ExecutionService;
  metrics: WorkerMetrics;
  /** The metrics server's port; undefined when there is none. */
  metricsPort: number | undefined;
  stop(): Promise<void>;
}

function advertisedAddress(options: WorkerOptions, port: number): string {
  if (options.advertise) return options.advertise;
  const host = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Starts a worker: serves ExecuteFunction, then joins the cluster and keeps reporting
 * its load. Resolves once registered; the registration is retried until it works.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const log = options.log;
  let state: Lifecycle = "starting";
  const enter = (next: Lifecycle) => {
    log.debug("Worker {from} -> {to}.", { from: state, to: next, component: "lifecycle" });
    state = next;
  };

  // The port comes first: with port 0 the name and address depend on it.
  let service: ExecutionService | undefined;
  const metrics = new WorkerMetrics(() => service?.running ?? 0);
  const handlers: Pick<ClusterHandlers, "executeFunction"> = {
    async executeFunction(request, context) {
      if (!service || state === "starting" || state === "stopped") {
        throw new CaresError("unavailable", "the worker is not taking calls");
      }
      try {
        checkExecutionRequest(request);
      } catch (error) {
        metrics.requestRefused("invalid_request");
        throw error;
      }
      const result = await service.handlers().executeFunction(request, context);
      metrics.executionEnded(result);
      return result;
    },
  };
  const server = await startClusterServer(handlers, options.host, options.port, options.security);
  const name = options.name || `worker-${server.port}`;
  const address = advertisedAddress(options, server.port);
  const nodeLog = log.child({ node: name });

  let executor: Executor;
  try {
    executor =
      options.executorInstance ??
      builtinExecutors().create(options.executor, {
        workerName: name,
        defaultTimeoutMs: DEFAULT_TIMEOUT_MS,
        log: nodeLog.child({ component: "executor" }),
        settings: options.executorSettings,
        onContainerStarted: (ms) => metrics.containerStarted(ms),
      });
  } catch (error) {
    await server.close(0);
    throw error;
  }
  let metricsServer: RunningHttpServer | undefined;
  if (options.metricsPort !== undefined && options.metricsPort >= 0) {
    try {
      metricsServer = await startMetricsServer(metrics, options.host, options.metricsPort);
    } catch (error) {
      await server.close(0);
      throw error;
    }
    nodeLog.info("Metrics served on http://{host}:{metricsPort}/metrics.", {
      host: options.host,
      metricsPort: metricsServer.port,
    });
  }
  if (executor instanceof DockerExecutor) {
    await executor
      .ping()
      .catch((error: CaresError) =>
        nodeLog.warn("Docker engine not available yet: {error}", { error: error.message }),
      );
  }
  const capacity = options.capacity || availableParallelism() * 2;
  service = new ExecutionService(
    executor,
    () => name,
    nodeLog.child({ component: "execution" }),
    capacity,
  );
  const execution = service;

  const client = new OrchestratorClient(options.orchestrator, options.security);
  const membership = new Membership({
    client,
    registration: {
      name,
      address,
      executor: executor.name,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      capacity: { cpus: availableParallelism(), memoryBytes: totalmem(), maxConcurrency: capacity },
    },
    metrics:
      options.metricsSource ??
      METRICS_SOURCES[options.metrics ?? "host"]!(options.metricsSettings ?? {}),
    running: () => execution.running,
    draining: () => execution.draining,
    health: () => executor.health(),
    log: nodeLog.child({ component: "membership" }),
  });
  enter("running");
  nodeLog.info("Worker '{node}' serving calls on {address} with the {executor} executor.", {
    address,
    executor: executor.name,
  });
  try {
    await membership.start();
    // Only once the name is ours: a worker refused for a name in use must not touch the
    // containers of the worker that holds it.
    await executor.cleanUp();
  } catch (error) {
    enter("stopped");
    await server.close(0);
    await metricsServer?.close(0);
    client.close();
    throw error;
  }

  return {
    name,
    port: server.port,
    address,
    executor,
    membership,
    service,
    metrics,
    metricsPort: metricsServer?.port,
    async stop() {
      if (state === "draining" || state === "stopped") return;
      enter("draining");
      // Refuse new calls first, then say so, so the orchestrator stops sending them.
      const drained = execution.drain(options.drainTimeoutMs ?? 30_000);
      nodeLog.info("Draining: finishing {running} running calls before leaving.", {
        running: execution.running,
      });
      await membership.announceDraining();
      const left = await drained;
      if (left > 0) {
        nodeLog.warn("Stopping with {left} calls still running after the drain timeout.", { left });
      }
      await membership.leave();
      await server.close(1_000);
      await metricsServer?.close(1_000);
      client.close();
      await executor.close();
      await executor.cleanUp();
      enter("stopped");
      nodeLog.info("Worker stopped.");
    },
  };
}
