import * as grpc from "@grpc/grpc-js";
import {
  ClusterServiceService,
  type ClusterServiceServer,
  type LeaveClusterRequest,
  type ReportLogsRequest,
} from "@cares/generated";
import { CaresError, describeError, isCaresError } from "../errors.js";
import type {
  ExecutionRequest,
  ExecutionResult,
  NodeLoad,
  NodeRegistration,
  RegistrationGrant,
  RemoteLogLine,
} from "../types.js";
import { checkCallToken } from "./auth.js";
import { REMOTE_CODE_KEY, SERVER_OPTIONS } from "./channel-options.js";
import { serverCredentials, type ClusterSecurity } from "./tls.js";
import {
  fromFunctionRequest,
  fromHeartbeatRequest,
  fromLogEntry,
  fromRegisterNodeRequest,
  toFunctionResult,
} from "./wire.js";

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** Aborted when the caller cancels the call or its deadline passes. */
  signal: AbortSignal;
  /** The caller's address, as grpc-js reports it. */
  peer: string;
}

/**
 * The ClusterService in plain types. A side implements the methods it serves; the
 * others answer UNIMPLEMENTED.
 */
export interface ClusterHandlers {
  registerNode(registration: NodeRegistration, context: CallContext): Promise<RegistrationGrant>;
  heartbeat(load: NodeLoad, context: CallContext): Promise<{ known: boolean }>;
  leaveCluster(nodeId: string, context: CallContext): Promise<void>;
  executeFunction(request: ExecutionRequest, context: CallContext): Promise<ExecutionResult>;
  /** A worker forwards its log lines; `known` is false when the node is not registered. */
  reportLogs(
    report: { nodeId: string; lines: RemoteLogLine[] },
    context: CallContext,
  ): Promise<{ known: boolean }>;
}

const ERROR_CODE_TO_STATUS: Record<string, grpc.status> = {
  invalid_argument: grpc.status.INVALID_ARGUMENT,
  not_found: grpc.status.NOT_FOUND,
  node_name_taken: grpc.status.ALREADY_EXISTS,
  unavailable: grpc.status.UNAVAILABLE,
  draining: grpc.status.UNAVAILABLE,
  at_capacity: grpc.status.RESOURCE_EXHAUSTED,
  unauthenticated: grpc.status.UNAUTHENTICATED,
};

/** Maps anything a handler throws to a gRPC status, once, at the boundary. */
function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  const code = isCaresError(error)
    ? (ERROR_CODE_TO_STATUS[error.code] ?? grpc.status.INTERNAL)
    : grpc.status.INTERNAL;
  const metadata = new grpc.Metadata();
  if (isCaresError(error)) metadata.set(REMOTE_CODE_KEY, error.code);
  return { code, details: describeError(error), metadata };
}

function contextOf(call: grpc.ServerUnaryCall<unknown, unknown>): CallContext {
  const controller = new AbortController();
  call.once("cancelled", () =>
    controller.abort(new CaresError("cancelled", "the caller cancelled")),
  );
  return { signal: controller.signal, peer: call.getPeer() };
}

function unary<Req, Plain, Out, Wire>(
  decode: (message: Req) => Plain,
  handler: (value: Plain, context: CallContext) => Promise<Out>,
  encode: (value: Out) => Wire,
  token: string | undefined,
): grpc.handleUnaryCall<Req, Wire> {
  return (call, callback) => {
    const refused = checkCallToken(call.metadata, token);
    if (refused) {
      callback(toServiceError(refused));
      return;
    }
    let plain: Plain;
    try {
      plain = decode(call.request);
    } catch (error) {
      callback(toServiceError(new CaresError("invalid_argument", describeError(error))));
      return;
    }
    handler(plain, contextOf(call)).then(
      (out) => callback(null, encode(out)),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}

function implement(
  handlers: Partial<ClusterHandlers>,
  token: string | undefined,
): Partial<ClusterServiceServer> {
  const impl: Partial<ClusterServiceServer> = {};
  const { registerNode, heartbeat, leaveCluster, executeFunction, reportLogs } = handlers;
  if (registerNode) {
    impl.registerNode = unary(
      fromRegisterNodeRequest,
      registerNode.bind(handlers),
      (g) => g,
      token,
    );
  }
  if (heartbeat) {
    impl.heartbeat = unary(fromHeartbeatRequest, heartbeat.bind(handlers), (h) => h, token);
  }
  if (leaveCluster) {
    impl.leaveCluster = unary(
      (message: LeaveClusterRequest) => message.nodeId,
      leaveCluster.bind(handlers),
      () => ({}),
      token,
    );
  }
  if (executeFunction) {
    impl.executeFunction = unary(
      fromFunctionRequest,
      executeFunction.bind(handlers),
      toFunctionResult,
      token,
    );
  }
  if (reportLogs) {
    impl.reportLogs = unary(
      (message: ReportLogsRequest) => ({
        nodeId: message.nodeId,
        lines: message.entries.map(fromLogEntry),
      }),
      reportLogs.bind(handlers),
      (answer) => answer,
      token,
    );
  }
  return impl;
}

export interface ClusterServer {
  /** The port the server listens on (the real one when 0 was asked for). */
  port: number;
  /** Stops taking calls, waits up to `graceMs` for running ones, then cuts them off. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves the ClusterService with the given handlers on host:port. Fails with
 * `port_in_use` when the port is taken. With a join token in `security`, every call
 * that does not present it is answered UNAUTHENTICATED before its handler runs; with
 * TLS files, the port speaks TLS only.
 */
export async function startClusterServer(
  handlers: Partial<ClusterHandlers>,
  host: string,
  port: number,
  security: ClusterSecurity = {},
): Promise<ClusterServer> {
  const credentials = serverCredentials(security.tls);
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(
    ClusterServiceService,
    implement(handlers, security.joinToken || undefined) as grpc.UntypedServiceImplementation,
  );
  const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, credentials, (error, actual) => {
      if (!error) return resolve(actual);
      const inUse = /EADDRINUSE|address already in use/i.test(error.message);
      reject(
        inUse
          ? new CaresError("port_in_use", `gRPC port ${port} on ${host} is already in use`, {
              cause: error,
            })
          : new CaresError("listen_failed", `cannot serve gRPC on ${target}: ${error.message}`, {
              cause: error,
            }),
      );
    });
  });
  return {
    port: bound,
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
