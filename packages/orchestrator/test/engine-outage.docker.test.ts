// The real orchestrator and worker when the Docker engine goes away and comes back, and
// when many calls need the same missing image at once. The engine is reached through a
// proxy socket the test can take away; the image comes from a fake registry on loopback
// that answers 404 slowly. Needs the engine and the sample images
// (scripts/ensure-engine.sh); without them these tests fail.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  registerFunction,
  startOrchestrator,
  startWorker,
  type OrchestratorProcess,
  type WorkerProcess,
} from "./support/processes.js";
import { SocketProxy } from "./support/socket-proxy.js";
import { requireImages } from "./support/containers.js";

const RUN = randomUUID().slice(0, 8);
const OUTAGE_WORKER = `outage-${RUN}`;
const PULL_WORKER = `pull-${RUN}`;
const DROPPING_WORKER = `dropping-${RUN}`;

/** How long the worker's heartbeats are apart; "a few heartbeats" is ten of them. */
const HEARTBEAT_MS = 200;
const FEW_HEARTBEATS_MS = 10 * HEARTBEAT_MS;

/** How long the fake registry holds each answer, so that a pull lasts at least this. */
const REGISTRY_DELAY_MS = 1_000;

interface NodeView {
  id: string;
  name: string;
  status: string;
  statusReason: string;
}

interface ErrorBody {
  error: string;
  message: string;
  [field: string]: unknown;
}

/** The CARES containers that the worker named `worker` has on the engine now. */
function containersOf(worker: string): string[] {
  return execFileSync(
    "docker",
    [
      "ps",
      "-aq",
      "--filter",
      "label=org.cares.managed=true",
      "--filter",
      `label=org.cares.worker=${worker}`,
    ],
    { encoding: "utf8" },
  )
    .split("\n")
    .filter(Boolean);
}

/** Polls `probe` until it gives a value, and resolves with that value. */
async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function nodeNamed(httpUrl: string, name: string): Promise<NodeView | undefined> {
  const answer = (await (await fetch(`${httpUrl}/nodes`)).json()) as { nodes: NodeView[] };
  return answer.nodes.find((node) => node.name === name);
}

const call = (orchestrator: OrchestratorProcess, name: string) =>
  fetch(`${orchestrator.httpUrl}/invoke/${name}`, { method: "POST" });

beforeAll(() => {
  requireImages("cares/hello-world");
});

/** Polls `GET /nodes` for a few heartbeats until the node `name` passes `test`. */
async function waitForNode(
  httpUrl: string,
  name: string,
  test: (node: NodeView) => boolean,
  what: string,
): Promise<NodeView> {
  let last: NodeView | undefined;
  try {
    return await eventually(
      async () => {
        last = await nodeNamed(httpUrl, name);
        return last && test(last) ? last : undefined;
      },
      FEW_HEARTBEATS_MS,
      what,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

/** An orchestrator and a docker worker that reaches the engine through a proxy socket. */
interface ProxiedCluster {
  dir: string;
  proxy: SocketProxy;
  orchestrator?: OrchestratorProcess;
  worker?: WorkerProcess;
}

/** Starts the proxy, then the orchestrator and the worker; fills `cluster` as it goes. */
async function startProxiedCluster(cluster: ProxiedCluster, name: string): Promise<void> {
  await cluster.proxy.start();
  cluster.orchestrator = await startOrchestrator();
  cluster.worker = await startWorker(cluster.orchestrator.grpcAddress, [
    "--executor",
    "docker",
    "--docker-socket",
    cluster.proxy.path,
    "--heartbeat-interval",
    String(HEARTBEAT_MS),
    "--name",
    name,
  ]);
}

function newProxiedCluster(): ProxiedCluster {
  const dir = mkdtempSync(join(tmpdir(), "cares-engine-"));
  return { dir, proxy: new SocketProxy(join(dir, "docker.sock")) };
}

async function stopProxiedCluster(cluster: ProxiedCluster): Promise<void> {
  await cluster.worker?.stop();
  await cluster.orchestrator?.stop();
  await cluster.proxy.stop();
  rmSync(cluster.dir, { recursive: true, force: true });
}

describe("an engine outage", () => {
  const cluster = newProxiedCluster();
  const { proxy } = cluster;
  let orchestrator: OrchestratorProcess;
  let worker: WorkerProcess;
  let nodeId: string;

  beforeAll(async () => {
    await startProxiedCluster(cluster, OUTAGE_WORKER);
    orchestrator = cluster.orchestrator!;
    worker = cluster.worker!;
    await registerFunction(orchestrator.httpUrl, { name: "hello", image: "cares/hello-world" });
  }, 60_000);

  afterAll(() => stopProxiedCluster(cluster));

  const reason = () => `the Docker engine is not reachable at ${proxy.path}`;

  it("runs calls while the engine answers", async () => {
    const response = await call(orchestrator, "hello");

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Hello from Docker!\n");
    const node = await nodeNamed(orchestrator.httpUrl, OUTAGE_WORKER);
    expect(node).toMatchObject({ status: "Active", statusReason: "" });
    nodeId = node!.id;
  });

  it("answers a call made as the engine goes away with an error about the engine", async () => {
    // Between two of the worker's pings (each heartbeat pings the engine first): a ping
    // cut half-way gets another reason, which "an engine that drops connections" covers.
    await eventually(
      () => {
        const quietFor = performance.now() - proxy.lastTrafficAt;
        return quietFor >= 20 && quietFor <= HEARTBEAT_MS / 2 ? true : undefined;
      },
      FEW_HEARTBEATS_MS,
      "the worker's pings of the engine never paused",
      5,
    );
    await proxy.stop();

    const response = await call(orchestrator, "hello");

    // The worker may not have noticed yet (502 from the call itself) or may have told the
    // orchestrator already (503 from the scheduler); either way the caller learns why.
    expect([502, 503]).toContain(response.status);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toBe(response.status === 502 ? "engine_error" : "no_active_node");
    expect(body.message).toMatch(/engine/i);
  });

  it("marks the node Inactive with the reason within a few heartbeats", async () => {
    await waitForNode(
      orchestrator.httpUrl,
      OUTAGE_WORKER,
      (node) => node.status === "Inactive" && node.statusReason.includes(reason()),
      "the node never turned Inactive for the engine's absence",
    );
  });

  it("refuses calls with 503 naming the node and the reason", async () => {
    const response = await call(orchestrator, "hello");

    expect(response.status).toBe(503);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toBe("no_active_node");
    expect(body.message).toContain(`${OUTAGE_WORKER}: ${reason()}`);
  });

  it("takes the node back, without a restart, once the engine answers again", async () => {
    await proxy.start();

    const node = await waitForNode(
      orchestrator.httpUrl,
      OUTAGE_WORKER,
      (node) => node.status === "Active",
      "the node never turned Active again",
    );
    expect(node).toMatchObject({ id: nodeId, statusReason: "" });
    expect(worker.child.exitCode).toBeNull();

    const response = await call(orchestrator, "hello");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Hello from Docker!\n");
  });

  it("logs that it cannot run functions, then that it can again", async () => {
    const lost = await worker.waitForLog(`Cannot run functions: ${reason()}`, 1_000);
    const back = await worker.waitForLog("Able to run functions again.", 1_000);

    expect(worker.lines.indexOf(lost)).toBeLessThan(worker.lines.indexOf(back));
    expect(worker.lines.filter((line) => line.msg.startsWith("Registered with"))).toHaveLength(1);
  });
});

describe("an engine that drops connections", () => {
  const cluster = newProxiedCluster();
  const { proxy } = cluster;

  beforeAll(() => startProxiedCluster(cluster, DROPPING_WORKER), 60_000);

  afterAll(() => stopProxiedCluster(cluster));

  it("marks the node Inactive with a reason that names the engine and its socket", async () => {
    proxy.dropConnections();

    const node = await waitForNode(
      cluster.orchestrator!.httpUrl,
      DROPPING_WORKER,
      (node) => node.status === "Inactive",
      "the node never turned Inactive",
    );

    // This reason is what a caller reads in the 503 and an operator in GET /nodes; a bare
    // "write EPIPE" tells neither that the Docker engine is at fault.
    expect(node.statusReason).toMatch(/Docker engine/);
    expect(node.statusReason).toContain(proxy.path);
  });
});

/** A registry on loopback that answers every request with 404 after REGISTRY_DELAY_MS. */
async function startSlowEmptyRegistry(): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    const timer = setTimeout(() => {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }),
      );
    }, REGISTRY_DELAY_MS);
    request.socket.once("close", () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the registry has no port");
  return { server, port: address.port, hits };
}

describe("a missing image wanted by many calls at once", () => {
  let registry: Awaited<ReturnType<typeof startSlowEmptyRegistry>>;
  let orchestrator: OrchestratorProcess;
  let worker: WorkerProcess;
  let image: string;

  beforeAll(async () => {
    registry = await startSlowEmptyRegistry();
    image = `127.0.0.1:${registry.port}/cares/absent:1`;
    orchestrator = await startOrchestrator();
    worker = await startWorker(orchestrator.grpcAddress, [
      "--executor",
      "docker",
      "--heartbeat-interval",
      String(HEARTBEAT_MS),
      "--capacity",
      "10",
      "--name",
      PULL_WORKER,
    ]);
    await registerFunction(orchestrator.httpUrl, { name: "absent", image });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await orchestrator?.stop();
    if (registry) {
      registry.server.closeAllConnections();
      await new Promise((resolve) => registry.server.close(resolve));
    }
  });

  it("pulls it once for all of them and answers each with 502 naming the image", async () => {
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call(orchestrator, "absent")),
    );
    const elapsed = Date.now() - started;

    for (const response of responses) {
      expect(response.status).toBe(502);
      const body = (await response.json()) as ErrorBody;
      expect(body.error).toBe("image_unavailable");
      expect(body.message).toContain(`'${image}'`);
    }
    // The pull really went to the fake registry and lasted while all five calls waited.
    expect(registry.hits.length).toBeGreaterThan(0);
    expect(elapsed).toBeGreaterThanOrEqual(REGISTRY_DELAY_MS);
    const pulls = worker.lines.filter(
      (line) => line.msg === `Image '${image}' is missing; pulling it.`,
    );
    expect(pulls).toHaveLength(1);
  });
});

describe("after the suite", () => {
  it("leaves no container of these workers behind", async () => {
    await eventually(
      () =>
        [OUTAGE_WORKER, DROPPING_WORKER, PULL_WORKER].every(
          (name) => containersOf(name).length === 0,
        )
          ? true
          : undefined,
      10_000,
      "containers of this suite's workers remain",
    );
  });
});
