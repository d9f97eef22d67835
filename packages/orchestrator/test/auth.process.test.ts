// The API token and the join token on real processes, and TLS between them from
// certificates the test makes itself.
import { rmSync } from "node:fs";
import { WorkerClient, type ExecutionRequest } from "@cares/shared";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  makeTestCertificates,
  type TestCertificates,
} from "../../shared/test/support/certificates.js";
import {
  launch,
  startOrchestrator,
  startWorker,
  type OrchestratorProcess,
  stopAfterEach,
} from "./support/processes.js";

const API_TOKEN = "api-token-for-tests";
const JOIN_TOKEN = "join-token-for-tests";

const track = stopAfterEach();
const clients: WorkerClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

const bearer = { authorization: `Bearer ${API_TOKEN}` };

async function authorizedJson(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { ...init, headers: { ...bearer, ...init.headers } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function securedOrchestrator(): Promise<OrchestratorProcess> {
  return track(
    await startOrchestrator([], { CARES_API_TOKEN: API_TOKEN, CARES_JOIN_TOKEN: JOIN_TOKEN }),
  );
}

/** Starts a worker with `token` (or none) and waits until it registers or exits. */
function workerWithToken(orchestrator: OrchestratorProcess, token?: string) {
  return startWorker(orchestrator.grpcAddress, ["--executor", "fake", "--name", "w1"], {
    waitForRegistration: false,
    env: token === undefined ? { CARES_JOIN_TOKEN: "" } : { CARES_JOIN_TOKEN: token },
  }).then(track);
}

const REQUEST: ExecutionRequest = {
  invocationId: "stranger",
  functionName: "evil",
  image: "cares/echo",
  stdin: Buffer.from("run me"),
  env: {},
  timeoutMs: 1000,
  memoryBytes: 0,
  nanoCpus: 0,
  network: false,
  pullPolicy: "if-missing",
  maxOutputBytes: 0,
};

describe("an orchestrator with CARES_API_TOKEN and CARES_JOIN_TOKEN", () => {
  it("refuses workers without the join token, and they stop with a clear line", async () => {
    const orchestrator = await securedOrchestrator();
    for (const token of [undefined, "wrong-token"]) {
      const worker = await workerWithToken(orchestrator, token);
      expect(await worker.exited).toBe(1);
      expect(worker.stderr.join("\n")).toMatch(/join token/);
    }
    const nodes = await authorizedJson(`${orchestrator.httpUrl}/nodes`);
    expect(nodes.body).toEqual({ nodes: [] });
  });

  it("runs calls on a worker with the token, for callers with the API token only", async () => {
    const orchestrator = await securedOrchestrator();
    const worker = await workerWithToken(orchestrator, JOIN_TOKEN);
    await worker.waitForLog("Registered with orchestrator");

    const register = await authorizedJson(`${orchestrator.httpUrl}/functions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "echo", image: "cares/echo" }),
    });
    expect(register.status).toBe(201);

    for (const headers of [{}, { authorization: "Bearer wrong" }] as Array<
      Record<string, string>
    >) {
      for (const [method, path] of [
        ["POST", "/invoke/echo"],
        ["GET", "/functions"],
        ["GET", "/nodes"],
        ["GET", "/invocations"],
        ["GET", "/metrics"],
      ] as const) {
        const response = await fetch(`${orchestrator.httpUrl}${path}`, { method, headers });
        expect(response.status, `${method} ${path}`).toBe(401);
      }
    }
    expect((await fetch(`${orchestrator.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${orchestrator.httpUrl}/readyz`)).status).toBe(200);

    const call = await fetch(`${orchestrator.httpUrl}/invoke/echo`, {
      method: "POST",
      body: "with the token",
      headers: bearer,
    });
    expect(call.status).toBe(200);
    expect(await call.text()).toBe("with the token");
  });

  it("lets no stranger make a worker run an image", async () => {
    const orchestrator = await securedOrchestrator();
    const worker = await workerWithToken(orchestrator, JOIN_TOKEN);
    const serving = await worker.waitForLog("serving calls on");
    const address = serving.address as string;

    for (const security of [{}, { joinToken: "wrong-token" }]) {
      const stranger = new WorkerClient(address, security);
      clients.push(stranger);
      await expect(stranger.execute(REQUEST, 5_000)).rejects.toMatchObject({
        remoteCode: "unauthenticated",
      });
    }
    expect(worker.lines.some((line) => line.msg.startsWith("Received execution request"))).toBe(
      false,
    );
  });
});

describe("TLS between orchestrator and worker", () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeTestCertificates();
  });
  afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

  const tlsArgs = () => [
    "--tls-cert",
    certs.certFile,
    "--tls-key",
    certs.keyFile,
    "--tls-ca",
    certs.caFile,
  ];

  it("carries registration, heartbeats and calls over mutual TLS", async () => {
    const orchestrator = track(await startOrchestrator(tlsArgs()));
    const worker = track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake", ...tlsArgs()]),
    );
    await worker.waitForLog("Registered with orchestrator");
    await fetch(`${orchestrator.httpUrl}/functions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "echo", image: "cares/echo" }),
    });
    const call = await fetch(`${orchestrator.httpUrl}/invoke/echo`, {
      method: "POST",
      body: "over TLS",
    });
    expect(call.status).toBe(200);
    expect(await call.text()).toBe("over TLS");
  });

  it("keeps a plain-text worker out", async () => {
    const orchestrator = track(await startOrchestrator(tlsArgs()));
    const worker = track(
      await startWorker(orchestrator.grpcAddress, ["--executor", "fake"], {
        waitForRegistration: false,
      }),
    );
    await worker.waitForLog("not reachable; retrying");
    const nodes = await (await fetch(`${orchestrator.httpUrl}/nodes`)).json();
    expect(nodes).toEqual({ nodes: [] });
  });

  it("stops with one line naming a certificate file it cannot read", async () => {
    const broken = track(
      launch("orchestrator", [
        "--http-port",
        "0",
        "--grpc-port",
        "0",
        "--tls-cert",
        "/nonexistent/cert.pem",
        "--tls-key",
        certs.keyFile,
      ]),
    );
    expect(await broken.exited).toBe(1);
    expect(broken.stderr).toEqual([
      "orchestrator: cannot read the TLS certificate at /nonexistent/cert.pem",
    ]);
  });
});
