import { randomUUID } from "node:crypto";
import {
  CaresError,
  RemoteCallError,
  type ExecutionRequest,
  type ExecutionResult,
  type Logger,
} from "@cares/shared";
import type { WorkerClients } from "../dispatch/worker-clients.js";
import type { FunctionRegistry, FunctionSpec } from "../registry/function-registry.js";
import type { NodeRecord, NodeRegistry } from "../registry/node-registry.js";
import { selectNodeForExecution, type Selection } from "../scheduler/scheduler.js";
import { leastCost, type SchedulingStrategy } from "../scheduler/strategies.js";
import { InvocationHookList, type ReceivedCall } from "./invocation-hooks.js";

/** How long past a function's own timeout the orchestrator waits for its worker. */
export const DISPATCH_MARGIN_MS = 10_000;

export interface InvocationInput {
  stdin: Buffer;
  /**
   * Variables about the request (method, path, query, content type); they win over the
   * function's own.
   */
  env?: Record<string, string>;
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
  /** The invocation id, when the caller chose it (asynchronous calls); else a new one. */
  id?: string;
}

/** A call that reached a worker and came back, whatever its outcome. */
export interface Invocation {
  id: string;
  function: FunctionSpec;
  node: NodeRecord;
  result: ExecutionResult;
}

/** A call that could not be completed by the worker it was sent to. */
export class DispatchError extends CaresError {
  constructor(
    code: string,
    message: string,
    /** True when the worker certainly did not start the call, so another node may. */
    readonly retryable: boolean,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** Worker refusals that come before the call runs: the call may go to another node. */
const REFUSED_BEFORE_RUNNING = new Set(["draining", "at_capacity", "unavailable"]);

export interface InvokerOptions {
  functions: FunctionRegistry;
  nodes: NodeRegistry;
  clients: WorkerClients;
  log: Logger;
  /** How the node is chosen; least cost by default. */
  strategy?: SchedulingStrategy;
}

/** Runs one call: look the function up, pick a node, send the call, bring back the result. */
export class Invoker {
  readonly #options: InvokerOptions;
  /** Told about every call: history, metrics and the event stream listen here. */
  readonly hooks: InvocationHookList;

  constructor(options: InvokerOptions) {
    this.#options = options;
    this.hooks = new InvocationHookList(options.log.child({ component: "hooks" }));
  }

  async invoke(name: string, input: InvocationInput): Promise<Invocation> {
    const call = {
      id: input.id ?? randomUUID(),
      functionName: name,
      stdinBytes: input.stdin.length,
    };
    this.hooks.emit("received", call);
    try {
      const invocation = await this.#invoke(call, input);
      this.hooks.emit("completed", call, invocation);
      return invocation;
    } catch (error) {
      this.hooks.emit("failed", call, error);
      throw error;
    }
  }

  async #invoke(call: ReceivedCall, input: InvocationInput): Promise<Invocation> {
    const { functions, nodes, clients } = this.#options;
    const { id, functionName: name } = call;
    const log = this.#options.log.child({ invocation: id });

    // 1. The function.
    log.info("Received invocation for '{function}'.", { function: name });
    const spec = functions.get(name);
    const request: ExecutionRequest = {
      invocationId: id,
      functionName: spec.name,
      image: spec.image,
      stdin: input.stdin,
      env: { ...spec.env, ...input.env },
      timeoutMs: spec.timeoutMs,
      memoryBytes: spec.memoryBytes,
      nanoCpus: spec.cpus === null ? 0 : Math.round(spec.cpus * 1e9),
      network: spec.network,
      pullPolicy: spec.pull,
      maxOutputBytes: spec.maxOutputBytes,
    };

    // A call that certainly never reached its node is sent once more, to another node;
    // one that may have started is never sent twice.
    const tried = new Set<string>();
    let lastFailure: DispatchError | undefined;
    for (;;) {
      // 2. The node.
      let selection: Selection;
      try {
        selection = this.#select(spec, tried, log);
      } catch (error) {
        if (lastFailure) throw lastFailure;
        throw error;
      }
      const { node } = selection;

      // 3. The call.
      log.info("Dispatching job to '{node}'...", { node: node.name, address: node.address });
      this.hooks.emit("dispatching", { ...call, function: spec, node });
      nodes.reserve(node, spec.name);
      let result: ExecutionResult;
      try {
        result = await clients
          .get(node.address)
          .execute(request, spec.timeoutMs + DISPATCH_MARGIN_MS, input.signal);
      } catch (error) {
        const failure = this.#dispatchFailed(error, node, log, input.signal?.aborted ?? false);
        if (failure.retryable && tried.size === 0) {
          tried.add(node.id);
          lastFailure = failure;
          log.warn("The call never reached '{node}'; trying another node.", { node: node.name });
          continue;
        }
        throw failure;
      } finally {
        nodes.release(node, spec.name);
      }

      const fields = { node: node.name, outcome: result.outcome, exitCode: result.exitCode };
      log.info("Job complete. Received result from worker.", {
        ...fields,
        durationMs: result.durationMs,
      });
      if (result.outcome !== "succeeded") {
        log.warn("Function '{function}' did not succeed: {outcome}.", {
          ...fields,
          function: name,
          error: result.errorMessage || undefined,
        });
      }
      return { id, function: spec, node, result };
    }
  }

  #select(spec: FunctionSpec, exclude: ReadonlySet<string>, log: Logger): Selection {
    const { nodes } = this.#options;
    const active = nodes.list().filter((n) => n.status === "Active" && !exclude.has(n.id));
    log.info("Selecting optimal node from {count} active candidates...", { count: active.length });
    let selection: Selection;
    try {
      selection = selectNodeForExecution(
        nodes,
        { functionName: spec.name, concurrency: spec.concurrency, exclude },
        this.#options.strategy ?? leastCost,
      );
    } catch (error) {
      log.warn("No node can take '{function}': {reason}", {
        function: spec.name,
        reason: (error as Error).message,
      });
      throw error;
    }
    if (log.enabled("debug")) {
      log.debug("Candidate costs: {costs}.", {
        costs: selection.candidates.map((c) => `${c.node.name}=${c.cost.toFixed(1)}`).join(", "),
      });
    }
    log.info("Node '{node}' selected with lowest cost.", {
      node: selection.node.name,
      cost: Number(selection.cost.toFixed(2)),
    });
    return selection;
  }

  #dispatchFailed(
    error: unknown,
    node: NodeRecord,
    log: Logger,
    callerGone: boolean,
  ): DispatchError {
    if (!(error instanceof RemoteCallError)) {
      log.error("Dispatch to '{node}' failed.", { node: node.name, error });
      return new DispatchError("worker_error", `dispatch to '${node.name}' failed`, false, {
        cause: error,
      });
    }
    if (error.code === "cancelled" && callerGone) {
      log.warn("Caller went away; call on '{node}' cancelled.", { node: node.name });
      return new DispatchError("cancelled", "the caller cancelled the call", false, {
        cause: error,
      });
    }
    if (error.code === "cancelled") {
      log.error("Worker '{node}' stopped during the call.", { node: node.name });
      return new DispatchError(
        "worker_error",
        `worker '${node.name}' stopped during the call; it may have run, so it was not sent again`,
        false,
        { cause: error, details: { node: node.name, delivered: true } },
      );
    }
    const refused = REFUSED_BEFORE_RUNNING.has(error.remoteCode);
    const notDelivered = error.delivery === "no" || refused;
    if (error.remoteCode === "draining") this.#options.nodes.markDraining(node.id);
    else if (error.delivery === "no") {
      this.#options.nodes.markInactive(node.id, "it could not be reached");
    }
    log.error("Dispatch to '{node}' failed: {reason}", { node: node.name, reason: error.message });

    const details = { node: node.name, delivered: !notDelivered };
    if (error.remoteCode === "at_capacity") {
      return new DispatchError(
        "worker_at_capacity",
        `worker '${node.name}' runs as many calls as it takes; retry shortly`,
        true,
        { cause: error, details },
      );
    }
    if (notDelivered) {
      return new DispatchError(
        "worker_unreachable",
        `worker '${node.name}' at ${node.address} could not take the call: ${error.message}`,
        true,
        { cause: error, details },
      );
    }
    if (error.code === "worker_timeout") {
      return new DispatchError(
        "worker_timeout",
        `worker '${node.name}' did not answer in time; the call may have run`,
        false,
        { cause: error, details },
      );
    }
    return new DispatchError(
      error.code,
      `worker '${node.name}' failed during the call (${error.message}); ` +
        "it may have run, so it was not sent again",
      false,
      { cause: error, details },
    );
  }
}
