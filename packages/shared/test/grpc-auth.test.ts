// The join token and TLS on real gRPC servers and channels, over loopback.
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  OrchestratorClient,
  RemoteCallError,
  WorkerClient,
  startClusterServer,
  type ClusterHandlers,
  type ClusterSecurity,
  type ClusterServer,
  type ExecutionRequest,
} from "../src/index.js";
import { makeTestCertificates, type TestCertificates } from "./support/certificates.js";

const REGISTRATION = {
  name: "w1",
  address: "127.0.0.1:1",
  executor: "fake",
  heartbeatIntervalMs: 1000,
  capacity: { cpus: 1, memoryBytes: 1, maxConcurrency: 0 },
};

const REQUEST: ExecutionRequest = {
  invocationId: "i-1",
  functionName: "echo",
  image: "cares/echo",
  stdin: Buffer.from("hi"),
  env: {},
  timeoutMs: 1000,
  memoryBytes: 0,
  nanoCpus: 0,
  network: false,
  pullPolicy: "if-missing",
  maxOutputBytes: 0,
};

/** Both sides' handlers; `ran` counts the calls that reached a handler. */
function handlers() {
  const ran = { count: 0 };
  const impl: ClusterHandlers = {
    async leaveCluster() {
      ran.count++;
    },
    async reportLogs() {
      ran.count++;
      return { known: true };
    },
    async registerNode() {
      ran.count++;
      return { nodeId: "n-1", heartbeatIntervalMs: 1000 };
    },
    async heartbeat() {
      ran.count++;
      return { known: true };
    },
    async executeFunction(request) {
      ran.count++;
      return {
        outcome: "succeeded",
        exitCode: 0,
        stdout: request.stdin,
        stderr: "",
        durationMs: 1,
        errorMessage: "",
        nodeName: "w1",
        outputTruncated: false,
      };
    },
  };
  return { impl, ran };
}

const servers: ClusterServer[] = [];
const clients: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.close(0)));
});

async function serve(security: ClusterSecurity) {
  const { impl, ran } = handlers();
  const server = await startClusterServer(impl, "127.0.0.1", 0, security);
  servers.push(server);
  return { address: `127.0.0.1:${server.port}`, ran };
}

function orchestratorClient(address: string, security: ClusterSecurity = {}) {
  const client = new OrchestratorClient(address, security);
  clients.push(client);
  return client;
}

function workerClient(address: string, security: ClusterSecurity = {}) {
  const client = new WorkerClient(address, security);
  clients.push(client);
  return client;
}

async function refusal(promise: Promise<unknown>): Promise<RemoteCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RemoteCallError);
  return error as RemoteCallError;
}

describe("the join token", () => {
  it("lets a caller without the token neither register, nor heartbeat, nor execute", async () => {
    const { address, ran } = await serve({ joinToken: "s3cret" });

    for (const security of [{}, { joinToken: "wrong" }]) {
      const orchestrator = orchestratorClient(address, security);
      const worker = workerClient(address, security);
      for (const call of [
        orchestrator.register(REGISTRATION, 2000),
        orchestrator.heartbeat(
          {
            nodeId: "n-1",
            cpuUsage: 0,
            memoryUsage: 0,
            runningExecutions: 0,
            draining: false,
            unhealthyReason: "",
          },
          2000,
        ),
        worker.execute(REQUEST, 2000),
      ]) {
        const error = await refusal(call);
        expect(error.remoteCode).toBe("unauthenticated");
        expect(error.details.grpcStatus).toBe("UNAUTHENTICATED");
      }
    }
    expect(ran.count).toBe(0);
  });

  it("lets a caller with the token through on every method", async () => {
    const { address, ran } = await serve({ joinToken: "s3cret" });
    const orchestrator = orchestratorClient(address, { joinToken: "s3cret" });
    const worker = workerClient(address, { joinToken: "s3cret" });

    expect(await orchestrator.register(REGISTRATION, 2000)).toMatchObject({ nodeId: "n-1" });
    expect(
      await orchestrator.heartbeat(
        {
          nodeId: "n-1",
          cpuUsage: 0,
          memoryUsage: 0,
          runningExecutions: 0,
          draining: false,
          unhealthyReason: "",
        },
        2000,
      ),
    ).toEqual({ known: true });
    const result = await worker.execute(REQUEST, 2000);
    expect(result.stdout.toString()).toBe("hi");
    expect(ran.count).toBe(3);
  });

  it("checks nothing when the server has no token", async () => {
    const { address } = await serve({});
    const client = orchestratorClient(address, { joinToken: "anything" });
    expect(await client.register(REGISTRATION, 2000)).toMatchObject({ nodeId: "n-1" });
  });
});

describe("TLS from certificate files", () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeTestCertificates();
  });
  afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

  const mine = (): ClusterSecurity => ({
    tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile },
  });

  it("carries calls between two sides whose certificates the same authority signed", async () => {
    const { address } = await serve({ ...mine(), joinToken: "t" });
    const client = workerClient(address, { ...mine(), joinToken: "t" });
    expect((await client.execute(REQUEST, 5000)).stdout.toString()).toBe("hi");
  });

  it("refuses a plain-text caller", async () => {
    const { address, ran } = await serve(mine());
    const error = await refusal(workerClient(address).execute(REQUEST, 2000));
    expect(error.details.grpcStatus).toBe("UNAVAILABLE");
    expect(ran.count).toBe(0);
  });

  it("refuses a caller whose certificate another authority signed", async () => {
    const { address, ran } = await serve(mine());
    const stranger = workerClient(address, {
      tls: {
        certFile: certs.strangerCertFile,
        keyFile: certs.strangerKeyFile,
        caFile: certs.caFile,
      },
    });
    await refusal(stranger.execute(REQUEST, 2000));
    expect(ran.count).toBe(0);
  });

  it("does not trust a server its authority did not sign", async () => {
    const { address, ran } = await serve({
      tls: { certFile: certs.strangerCertFile, keyFile: certs.strangerKeyFile },
    });
    await refusal(workerClient(address, mine()).execute(REQUEST, 2000));
    expect(ran.count).toBe(0);
  });

  it("says which file it cannot read", async () => {
    await expect(
      startClusterServer({}, "127.0.0.1", 0, {
        tls: { certFile: "/nonexistent/cert.pem", keyFile: certs.keyFile },
      }),
    ).rejects.toThrow("cannot read the TLS certificate at /nonexistent/cert.pem");
  });
});
