import * as grpc from "@grpc/grpc-js";
import { ClusterServiceClient } from "@cares/generated";
import { CaresError } from "../errors.js";
import type {
  ExecutionRequest,
  ExecutionResult,
  NodeLoad,
  NodeRegistration,
  RegistrationGrant,
  RemoteLogLine,
} from "../types.js";
import { tokenMetadata } from "./auth.js";
import { CHANNEL_OPTIONS, REMOTE_CODE_KEY } from "./channel-options.js";
import { channelCredentials, type ClusterSecurity } from "./tls.js";
import {
  fromFunctionResult,
  toFunctionRequest,
  toHeartbeatRequest,
  toLogEntry,
  toRegisterNodeRequest,
} from "./wire.js";

/**
 * Whether a failed call reached the other side. `no` is certain (the connection never
 * came up), so the call may be sent elsewhere; `unknown` means it may have started.
 */
export type Delivery = "no" | "unknown";

/** A gRPC call that failed, with what the caller needs to decide what to do next. */
export class RemoteCallError extends CaresError {
  /** The CaresError code the other side reported, or "" when it reported none. */
  readonly remoteCode: string;

  constructor(
    code: string,
    message: string,
    readonly delivery: Delivery,
    readonly grpcStatus: grpc.status,
    cause: grpc.ServiceError,
  ) {
    super(code, message, { cause, details: { grpcStatus: grpc.status[grpcStatus] } });
    const remote = cause.metadata?.get(REMOTE_CODE_KEY)[0];
    this.remoteCode = typeof remote === "string" ? remote : "";
  }
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as grpc.ServiceError).code === "number";
}

/**
 * Whether the failure happened before the call could reach the server. grpc-js reports
 * a connection that never came up as UNAVAILABLE with "No connection established" (and
 * the connect error) in the details; a connection that broke mid-call is UNAVAILABLE too
 * ("Connection dropped"), and then the call may have run, so only those details are
 * taken as certain.
 */
function deliveryOf(error: grpc.ServiceError): Delivery {
  if (error.code !== grpc.status.UNAVAILABLE) return "unknown";
  return /No connection established|ECONNREFUSED|Name resolution failed|ENOTFOUND/.test(
    error.details,
  )
    ? "no"
    : "unknown";
}

function unaryCall<Req, Res>(
  invoke: (
    request: Req,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: (error: grpc.ServiceError | null, response: Res) => void,
  ) => grpc.ClientUnaryCall,
  request: Req,
  metadata: grpc.Metadata,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const call = invoke(
      request,
      metadata,
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve(response);
      },
    );
    const onAbort = () => call.cancel();
    if (signal?.aborted) call.cancel();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A channel to one peer; created once and reused for every call to it. Every call
 * carries the join token, when `security` has one.
 */
abstract class PeerClient {
  protected readonly client: ClusterServiceClient;
  readonly #token: string | undefined;

  constructor(
    readonly address: string,
    security: ClusterSecurity = {},
  ) {
    this.#token = security.joinToken || undefined;
    this.client = new ClusterServiceClient(
      address,
      channelCredentials(security.tls),
      CHANNEL_OPTIONS,
    );
  }

  /** Fresh metadata for one call: grpc-js may change what it is given. */
  protected metadata(): grpc.Metadata {
    return tokenMetadata(this.#token);
  }

  close(): void {
    this.client.close();
  }
}

/** How a worker talks to the orchestrator. */
export class OrchestratorClient extends PeerClient {
  async register(registration: NodeRegistration, timeoutMs: number): Promise<RegistrationGrant> {
    try {
      const grant = await unaryCall(
        this.client.registerNode.bind(this.client),
        toRegisterNodeRequest(registration),
        this.metadata(),
        timeoutMs,
      );
      return { nodeId: grant.nodeId, heartbeatIntervalMs: grant.heartbeatIntervalMs };
    } catch (error) {
      throw this.#wrap("register", error);
    }
  }

  async heartbeat(load: NodeLoad, timeoutMs: number): Promise<{ known: boolean }> {
    try {
      const answer = await unaryCall(
        this.client.heartbeat.bind(this.client),
        toHeartbeatRequest(load),
        this.metadata(),
        timeoutMs,
      );
      return { known: answer.known };
    } catch (error) {
      throw this.#wrap("heartbeat", error);
    }
  }

  /** Tells the orchestrator this node leaves; it sends the node no more calls. */
  async leave(nodeId: string, timeoutMs: number): Promise<void> {
    try {
      await unaryCall(
        this.client.leaveCluster.bind(this.client),
        { nodeId },
        this.metadata(),
        timeoutMs,
      );
    } catch (error) {
      throw this.#wrap("leave", error);
    }
  }

  /** Forwards log lines of the node `nodeId`; `known` is false when it is not registered. */
  async reportLogs(
    nodeId: string,
    lines: readonly RemoteLogLine[],
    timeoutMs: number,
  ): Promise<{ known: boolean }> {
    try {
      const answer = await unaryCall(
        this.client.reportLogs.bind(this.client),
        { nodeId, entries: lines.map(toLogEntry) },
        this.metadata(),
        timeoutMs,
      );
      return { known: answer.known };
    } catch (error) {
      throw this.#wrap("reportLogs", error);
    }
  }

  #wrap(what: string, error: unknown): CaresError {
    if (!isServiceError(error)) return new CaresError("orchestrator_error", String(error));
    return new RemoteCallError(
      error.code === grpc.status.UNAVAILABLE ? "orchestrator_unreachable" : "orchestrator_error",
      `${what} with the orchestrator at ${this.address} failed: ${error.details}`,
      deliveryOf(error),
      error.code,
      error,
    );
  }
}

/** How the orchestrator talks to one worker. */
export class WorkerClient extends PeerClient {
  /**
   * Asks the worker to run one call. `deadlineMs` bounds the whole call, whatever the
   * worker does; aborting `signal` cancels it on the worker too.
   */
  async execute(
    request: ExecutionRequest,
    deadlineMs: number,
    signal?: AbortSignal,
  ): Promise<ExecutionResult> {
    try {
      const result = await unaryCall(
        this.client.executeFunction.bind(this.client),
        toFunctionRequest(request),
        this.metadata(),
        deadlineMs,
        signal,
      );
      return fromFunctionResult(result);
    } catch (error) {
      if (!isServiceError(error)) throw error;
      throw new RemoteCallError(
        codeForWorkerFailure(error.code),
        `worker at ${this.address}: ${error.details}`,
        deliveryOf(error),
        error.code,
        error,
      );
    }
  }
}

function codeForWorkerFailure(status: grpc.status): string {
  switch (status) {
    case grpc.status.UNAVAILABLE:
      return "worker_unreachable";
    case grpc.status.DEADLINE_EXCEEDED:
      return "worker_timeout";
    case grpc.status.CANCELLED:
      return "cancelled";
    case grpc.status.RESOURCE_EXHAUSTED:
      return "worker_at_capacity";
    default:
      return "worker_error";
  }
}
