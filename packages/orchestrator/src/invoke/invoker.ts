import { randomUUID } from "node:crypto";
import { CaresError, RemoteCallError, type ExecutionResult, type Logger } from "@cares/shared";
import type { WorkerClients } from "../dispatch/worker-clients.js";
import type { FunctionRegistry, FunctionSpec } from "../registry/function-registry.js";
import type { NodeRecord, NodeRegistry } from "../registry/node-registry.js";
import { selectNodeForExecution } from "../scheduler/scheduler.js";
import { InvocationHookList, type ReceivedCall } from "./invocation-hooks.js";

/** How long past a function's own timeout the orchestrator waits for its worker. */
export const DISPATCH_MARGIN_MS = 10_000;

export interface InvocationInput {
  stdin: Buffer;
  /** Variables about the request (method, path, query, content type); they win over the function's own. */
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
export class DispatchError extends CaresError {}

export interface InvokerOptions {
  functions: FunctionRegistry;
  nodes: NodeRegistry;
  clients: WorkerClients;
  log: Logger;
}

/** Runs one call: look the function up, pick a node, send the call, bring back the result. */
export class Invoker {
  readonly #options: InvokerOptions;
  /** Told about every call: history and metrics listen here. */
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

    // 2. The node.
    const active = nodes.list().filter((node) => node.status === "Active").length;
    log.info("Selecting optimal node from {count} active candidates...", { count: active });
    let selection;
    try {
      selection = selectNodeForExecution(nodes);
    } catch (error) {
      log.warn("No active node can take '{function}'.", { function: name });
      throw error;
    }
    const { node } = selection;
    if (log.enabled("debug")) {
      log.debug("Candidate costs.", {
        costs: selection.candidates.map((c) => `${c.node.name}=${c.cost.toFixed(1)}`).join(","),
      });
    }
    log.info("Node '{node}' selected with lowest cost.", { node: node.name, cost: selection.cost });

    // 3. The call.
    log.info("Dispatching job to '{node}'...", { node: node.name, address: node.address });
    this.hooks.emit("dispatching", { ...call, function: spec, node });
    let result: ExecutionResult;
    try {
      result = await clients.get(node.address).execute(
        {
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
        },
        spec.timeoutMs + DISPATCH_MARGIN_MS,
        input.signal,
      );
    } catch (error) {
      throw this.#dispatchFailed(error, node, log);
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

  #dispatchFailed(error: unknown, node: NodeRecord, log: Logger): CaresError {
    if (!(error instanceof RemoteCallError)) {
      log.error("Dispatch to '{node}' failed.", { node: node.name, error });
      return new DispatchError("worker_error", `dispatch to '${node.name}' failed`, {
        cause: error,
      });
    }
    if (error.code === "cancelled") {
      log.warn("Caller went away; call on '{node}' cancelled.", { node: node.name });
      return new DispatchError("cancelled", "the caller cancelled the call", { cause: error });
    }
    if (error.delivery === "no") {
      this.#options.nodes.markInactive(node.id, "it could not be reached");
    }
    log.error("Dispatch to '{node}' failed: {reason}", { node: node.name, reason: error.message });
    const messages: Record<string, string> = {
      worker_unreachable: `worker '${node.name}' at ${node.address} could not be reached`,
      worker_timeout: `worker '${node.name}' did not answer in time`,
    };
    return new DispatchError(
      error.code,
      messages[error.code] ?? `worker '${node.name}' failed the call: ${error.message}`,
      { cause: error, details: { node: node.name, delivered: error.delivery !== "no" } },
    );
  }
}
