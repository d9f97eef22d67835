import {
  Logger,
  RemoteCallError,
  type ExecutionRequest,
  type ExecutionResult,
  type LogRecord,
} from "@cares/shared";
import type { H3 } from "h3";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import type { WorkerClients } from "../src/dispatch/worker-clients.js";
import { createHttpApp } from "../src/http/app.js";
import { DISPATCH_MARGIN_MS, Invoker } from "../src/invoke/invoker.js";
import { FunctionRegistry } from "../src/registry/function-registry.js";
import { parseFunctionSpec } from "../src/registry/function-settings.js";
import { NodeRegistry, type NodeRecord } from "../src/registry/node-registry.js";

const MAX_BODY_BYTES = 1024;

interface Dispatch {
  address: string;
  request: ExecutionRequest;
  timeoutMs: number;
}

/** Stands in for WorkerClients: every address answers with `answer(request)`. */
function fakeClients(answer: (request: ExecutionRequest) => Promise<ExecutionResult>) {
  const dispatches: Dispatch[] = [];
  const clients = {
    get: (address: string) => ({
      execute: async (request: ExecutionRequest, timeoutMs: number) => {
        dispatches.push({ address, request, timeoutMs });
        return answer(request);
      },
    }),
  };
  return { clients: clients as unknown as WorkerClients, dispatches };
}

function result(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    outcome: "succeeded",
    exitCode: 0,
    stdout: Buffer.from("Hello, world!\n"),
    stderr: "",
    durationMs: 12,
    errorMessage: "",
    outputTruncated: false,
    nodeName: "w1",
    ...overrides,
  };
}

let functions: FunctionRegistry;
let nodes: NodeRegistry;
let dispatches: Dispatch[];
let records: LogRecord[];
let app: H3;
/** What the fake worker answers next; tests replace it. */
let answer: (request: ExecutionRequest) => Promise<ExecutionResult>;
/** Catches what h3 prints to the console, so that tests can check it stays quiet. */
let consoleError: MockInstance<typeof console.error>;

beforeEach(() => {
  consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
  records = [];
  const log = new Logger((record) => records.push(record), { level: "debug" });
  functions = new FunctionRegistry();
  nodes = new NodeRegistry({ log });
  answer = async () => result();
  const fake = fakeClients((request) => answer(request));
  dispatches = fake.dispatches;
  const invoker = new Invoker({ functions, nodes, clients: fake.clients, log });
  app = createHttpApp({ functions, nodes, invoker, log, maxBodyBytes: MAX_BODY_BYTES });
});

afterEach(() => {
  consoleError.mockRestore();
});

function send(method: string, path: string, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(app.fetch(new Request(`http://localhost${path}`, { method, ...init })));
}

function postJson(path: string, body: unknown): Promise<Response> {
  return send("POST", path, {
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

/** Checks that `response` is a JSON error body with `code`, and returns the body. */
async function expectError(
  response: Response,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.error).toBe(code);
  expect(typeof body.message).toBe("string");
  expect((body.message as string).length).toBeGreaterThan(0);
  return body;
}

function addNode(name = "w1", cpuUsage = 0, memoryUsage = 0): NodeRecord {
  const node = nodes.register({
    name,
    address: `${name}.local:50052`,
    executor: "fake",
    heartbeatIntervalMs: 1_000,
    capacity: { cpus: 2, memoryBytes: 1024, maxConcurrency: 0 },
  });
  nodes.heartbeat({
    nodeId: node.id,
    cpuUsage,
    memoryUsage,
    runningExecutions: 0,
    draining: false,
    unhealthyReason: "",
  });
  return node;
}

async function addFunction(name = "hello", extra: Record<string, unknown> = {}): Promise<void> {
  const response = await postJson("/functions", {
    name,
    image: "cares/hello-world:latest",
    ...extra,
  });
  expect(response.status).toBe(201);
}

describe("GET /healthz", () => {
  it("answers ok", async () => {
    const response = await send("GET", "/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});

describe("/functions", () => {
  it("registers a function: 201, Location, and the function as JSON", async () => {
    const response = await postJson("/functions", {
      name: "hello",
      image: "cares/hello-world:latest",
      timeout: "5s",
      env: { GREETING: "hi" },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe("/functions/hello");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      name: "hello",
      image: "cares/hello-world:latest",
      timeout: 5,
      env: { GREETING: "hi" },
    });
    expect(new Date(body.createdAt as string).toISOString()).toBe(body.createdAt);
    expect(functions.get("hello").timeoutMs).toBe(5_000);
  });

  it("refuses a second function of the same name with 409", async () => {
    await addFunction("hello");
    const body = await expectError(
      await postJson("/functions", { name: "hello", image: "alpine" }),
      409,
      "function_exists",
    );
    expect(body.function).toBe("hello");
    expect(functions.get("hello").image).toBe("cares/hello-world:latest");
  });

  it("refuses a body that is not JSON with 400 invalid_json", async () => {
    const response = await send("POST", "/functions", { body: "{name: hello" });
    await expectError(response, 400, "invalid_json");
    expect(functions.size).toBe(0);
  });

  it("refuses JSON that is not an object with 400 invalid_json", async () => {
    await expectError(await postJson("/functions", ["hello"]), 400, "invalid_json");
    await expectError(await postJson("/functions", null), 400, "invalid_json");
  });

  it("refuses a bad name with 400 invalid_request naming the field", async () => {
    const body = await expectError(
      await postJson("/functions", { name: "Hello_World", image: "alpine" }),
      400,
      "invalid_request",
    );
    expect(body.field).toBe("name");
    expect(body.message).toMatch(/^name /);
  });

  it("refuses a bad image and unknown fields, naming the field", async () => {
    const image = await expectError(
      await postJson("/functions", { name: "a", image: "NOT VALID" }),
      400,
      "invalid_request",
    );
    expect(image.field).toBe("image");
    const unknown = await expectError(
      await postJson("/functions", { name: "a", image: "alpine", cpu: 2 }),
      400,
      "invalid_request",
    );
    expect(unknown.field).toBe("cpu");
  });

  it("lists functions sorted by name", async () => {
    expect(await (await send("GET", "/functions")).json()).toEqual({ functions: [] });
    await addFunction("zeta");
    await addFunction("alpha");
    const response = await send("GET", "/functions");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { functions: { name: string }[] };
    expect(body.functions.map((f) => f.name)).toEqual(["alpha", "zeta"]);
  });

  it("shows one function, or 404 function_not_found as JSON", async () => {
    await addFunction("hello", { timeout: 2 });
    const found = await send("GET", "/functions/hello");
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ name: "hello", timeout: 2 });

    const body = await expectError(await send("GET", "/functions/nope"), 404, "function_not_found");
    expect(body.function).toBe("nope");
  });

  it("deletes a function with 204, then answers 404", async () => {
    await addFunction("hello");
    const deleted = await send("DELETE", "/functions/hello");
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    expect(functions.size).toBe(0);

    await expectError(await send("DELETE", "/functions/hello"), 404, "function_not_found");
    await expectError(await send("GET", "/functions/hello"), 404, "function_not_found");
  });
});

describe("GET /nodes", () => {
  it("shows each node with cost = cpu * 0.5 + memory * 0.5", async () => {
    const node = addNode("w1", 40, 20);
    addNode("w2", 10, 90);
    const response = await send("GET", "/nodes");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { nodes: Record<string, unknown>[] };
    expect(body.nodes).toHaveLength(2);
    expect(body.nodes[0]).toMatchObject({
      id: node.id,
      name: "w1",
      address: "w1.local:50052",
      status: "Active",
      cpuUsage: 40,
      memoryUsage: 20,
      cost: 30,
      runningExecutions: 0,
      executor: "fake",
      capacity: { cpus: 2, memoryBytes: 1024, maxConcurrency: 0 },
    });
    expect(body.nodes[1]).toMatchObject({ name: "w2", cost: 50 });
    expect(typeof body.nodes[0]!.secondsSinceHeartbeat).toBe("number");
  });

  it("shows an empty list when no worker has registered", async () => {
    expect(await (await send("GET", "/nodes")).json()).toEqual({ nodes: [] });
  });
});

describe("POST /invoke/:name", () => {
  it("answers 404 function_not_found for an unknown function", async () => {
    addNode();
    const body = await expectError(
      await send("POST", "/invoke/unknown", { body: "x" }),
      404,
      "function_not_found",
    );
    expect(body.function).toBe("unknown");
    expect(dispatches).toEqual([]);
  });

  it("answers 503 no_active_node when no worker has registered", async () => {
    await addFunction();
    const body = await expectError(await send("POST", "/invoke/hello"), 503, "no_active_node");
    expect(body.nodes).toBe(0);
  });

  it("answers 503 no_active_node when every worker is Inactive", async () => {
    await addFunction();
    const node = addNode();
    nodes.markInactive(node.id, "test");
    const body = await expectError(await send("POST", "/invoke/hello"), 503, "no_active_node");
    expect(body.nodes).toBe(1);
    expect(dispatches).toEqual([]);
  });

  it("answers 200 text/plain with the function's output and the call's headers", async () => {
    await addFunction("hello", { timeout: "3s", env: { GREETING: "hi" } });
    addNode("busy", 90, 90);
    addNode("idle", 5, 5);
    answer = async (request) =>
      result({ stdout: Buffer.from(`got: ${request.stdin.toString()}`), durationMs: 7 });

    const response = await send("POST", "/invoke/hello", { body: "ping" });

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("got: ping");
    expect(response.headers.get("x-cares-node")).toBe("idle");
    const id = response.headers.get("x-cares-invocation-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("x-cares-duration-ms")).toBe("7");
    expect(response.headers.get("x-cares-exit-code")).toBe("0");

    expect(dispatches).toHaveLength(1);
    const [dispatch] = dispatches;
    expect(dispatch!.address).toBe("idle.local:50052");
    expect(dispatch!.timeoutMs).toBe(3_000 + DISPATCH_MARGIN_MS);
    expect(dispatch!.request).toMatchObject({
      invocationId: id,
      functionName: "hello",
      image: "cares/hello-world:latest",
      env: { GREETING: "hi" },
      timeoutMs: 3_000,
    });
  });

  it("passes binary input and output through byte for byte", async () => {
    await addFunction();
    addNode();
    const bytes = new Uint8Array([0, 0xff, 0x80, 0x0a, 0xfe]);
    answer = async (request) => result({ stdout: Buffer.from(request.stdin) });
    const response = await send("POST", "/invoke/hello", { body: bytes });
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it("logs the call's steps under one invocation id", async () => {
    await addFunction();
    addNode();
    records.length = 0;
    const response = await send("POST", "/invoke/hello");
    const id = response.headers.get("x-cares-invocation-id");
    const messages = records.map((r) => r.message);
    expect(messages).toContain("Received invocation for 'hello'.");
    expect(messages).toContain("Node 'w1' selected with lowest cost.");
    expect(messages).toContain("Job complete. Received result from worker.");
    for (const record of records) expect(record.fields.invocation).toBe(id);
  });

  it("answers 500 function_failed with the exit code and standard error", async () => {
    await addFunction();
    addNode();
    answer = async () =>
      result({ outcome: "failed", exitCode: 3, stdout: Buffer.from("partial"), stderr: "boom\n" });
    const response = await send("POST", "/invoke/hello");
    const body = await expectError(response, 500, "function_failed");
    expect(body).toMatchObject({ exitCode: 3, stderr: "boom\n", durationMs: 12 });
    expect(body.message).toBe("function 'hello' exited with code 3");
    expect(response.headers.get("x-cares-node")).toBe("w1");
    expect(response.headers.get("x-cares-exit-code")).toBe("3");
    expect(response.headers.get("x-cares-invocation-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps only the last 4096 bytes of a long standard error", async () => {
    await addFunction();
    addNode();
    const stderr = "a".repeat(5_000) + "b".repeat(4_096);
    answer = async () => result({ outcome: "failed", exitCode: 1, stderr });
    const body = await expectError(await send("POST", "/invoke/hello"), 500, "function_failed");
    expect(body.stderr).toBe("b".repeat(4_096));
  });

  it("answers 504 function_timeout when the function ran past its timeout", async () => {
    await addFunction("hello", { timeout: "2s" });
    addNode();
    answer = async () => result({ outcome: "timed-out", exitCode: -1, stderr: "slow" });
    const body = await expectError(await send("POST", "/invoke/hello"), 504, "function_timeout");
    expect(body.message).toMatch(/timeout of 2s/);
    expect(body).toMatchObject({ exitCode: -1, stderr: "slow" });
  });

  it("answers 502 image_unavailable when the worker cannot get the image", async () => {
    await addFunction();
    addNode();
    answer = async () =>
      result({ outcome: "image-unavailable", exitCode: -1, errorMessage: "pull access denied" });
    const body = await expectError(await send("POST", "/invoke/hello"), 502, "image_unavailable");
    expect(body.message).toBe("pull access denied");
    expect(body.image).toBe("cares/hello-world:latest");
  });

  // Bug: failureOf() in routes/invoke.ts uses result.errorMessage as the message for
  // image-unavailable with no fallback (unlike cancelled and engine-error), so a worker
  // that sends no error message yields an error body whose `message` is "".
  it("gives image_unavailable a message even when the worker sent none", async () => {
    await addFunction();
    addNode();
    answer = async () => result({ outcome: "image-unavailable", exitCode: -1, errorMessage: "" });
    await expectError(await send("POST", "/invoke/hello"), 502, "image_unavailable");
  });

  it("answers 502 engine_error, falling back to a message naming the image", async () => {
    await addFunction();
    addNode();
    answer = async () => result({ outcome: "engine-error", exitCode: -1, errorMessage: "" });
    const body = await expectError(await send("POST", "/invoke/hello"), 502, "engine_error");
    expect(body.message).toContain("cares/hello-world:latest");
  });

  it("answers 499 cancelled when the worker reports the call cancelled", async () => {
    await addFunction();
    addNode();
    answer = async () => result({ outcome: "cancelled", exitCode: -1 });
    await expectError(await send("POST", "/invoke/hello"), 499, "cancelled");
  });

  it("answers 502 worker_error when the dispatch throws something unexpected", async () => {
    await addFunction();
    addNode();
    answer = async () => {
      throw new Error("socket hang up");
    };
    await expectError(await send("POST", "/invoke/hello"), 502, "worker_error");
  });

  it("answers 502 worker_unreachable and marks the node Inactive when it cannot be reached", async () => {
    await addFunction();
    const node = addNode();
    answer = async () => {
      const cause = Object.assign(new Error("14 UNAVAILABLE: connect ECONNREFUSED"), {
        code: 14,
        details: "connect ECONNREFUSED",
        metadata: { get: () => [] },
      });
      throw new RemoteCallError("worker_unreachable", cause.details, "no", 14, cause as never);
    };
    const body = await expectError(await send("POST", "/invoke/hello"), 502, "worker_unreachable");
    expect(body).toMatchObject({ node: "w1", delivered: false });
    expect(node.status).toBe("Inactive");
  });

  it("refuses a body over maxBodyBytes with 413 and never dispatches", async () => {
    await addFunction();
    addNode();
    const body = await expectError(
      await send("POST", "/invoke/hello", { body: "x".repeat(MAX_BODY_BYTES + 1) }),
      413,
      "payload_too_large",
    );
    expect(body.limit).toBe(MAX_BODY_BYTES);
    expect(dispatches).toEqual([]);
  });

  it("refuses a streamed body once it passes maxBodyBytes", async () => {
    await addFunction();
    addNode();
    const chunk = new Uint8Array(400);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await send("POST", "/invoke/hello", {
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectError(response, 413, "payload_too_large");
    expect(sent).toBeLessThan(10);
    expect(dispatches).toEqual([]);
  });

  it("refuses a declared content-length over the limit before reading", async () => {
    await addFunction();
    addNode();
    const response = await send("POST", "/invoke/hello", {
      body: "small",
      headers: { "content-length": String(MAX_BODY_BYTES + 1) },
    });
    await expectError(response, 413, "payload_too_large");
  });

  it("accepts a body of exactly maxBodyBytes", async () => {
    await addFunction();
    addNode();
    answer = async (request) => result({ stdout: Buffer.from(String(request.stdin.length)) });
    const response = await send("POST", "/invoke/hello", { body: "x".repeat(MAX_BODY_BYTES) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(String(MAX_BODY_BYTES));
  });
});

describe("routes that do not exist", () => {
  it("answers 404 route_not_found as JSON", async () => {
    const body = await expectError(await send("GET", "/nope"), 404, "route_not_found");
    expect(body.message).toBe("no route for GET /nope");
  });

  it("reports route errors in its JSON body, not on the console", async () => {
    await expectError(await send("GET", "/nope"), 404, "route_not_found");
    expect(consoleError).not.toHaveBeenCalled();
  });

  it.each([
    ["OPTIONS", "/invoke/hello", ["DELETE", "GET", "PATCH", "POST", "PUT"]],
    ["PUT", "/functions", ["GET", "POST"]],
    ["POST", "/nodes", ["GET"]],
    ["PATCH", "/functions/hello", ["DELETE", "GET"]],
  ])(
    "answers %s %s with 405 method_not_allowed and the methods it serves",
    async (method, path, allowed) => {
      const response = await send(method, path);
      const body = await expectError(response, 405, "method_not_allowed");
      expect(body.message).toBe(`${method} is not allowed on ${path}`);
      expect(body.allowed).toEqual(allowed);
      expect(response.headers.get("allow")).toBe(allowed.join(", "));
    },
  );
});

describe("console output", () => {
  // Bug: createHttpApp builds `new H3({ onError })` without `silent: true`. h3 2.x prints
  // every thrown value that is not an HTTPError (so every CaresError: function_not_found,
  // function_exists, invalid_json, no_active_node, ...) to console.error with its stack
  // before calling onError, behind the TUI's back and in the middle of plain/JSON logs.
  it("writes nothing to the console when a handler throws a CaresError", async () => {
    await expectError(await send("GET", "/functions/nope"), 404, "function_not_found");
    await expectError(await postJson("/functions", { name: "x" }), 400, "invalid_request");
    expect(consoleError).not.toHaveBeenCalled();
  });
});

describe("what a caller asks for", () => {
  beforeEach(() => {
    functions.add(parseFunctionSpec({ name: "hello", image: "cares/hello-world" }));
    addNode("w1", 10, 10);
  });

  it("never runs a function for HEAD", async () => {
    const response = await send("HEAD", "/invoke/hello");

    expect(response.status).toBe(405);
    expect(dispatches).toHaveLength(0);
  });

  it("gives the raw output to a caller that refuses JSON with q=0", async () => {
    const response = await send("POST", "/invoke/hello", {
      headers: { accept: "application/json;q=0, text/plain" },
    });

    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("Hello, world!\n");
  });

  it("sends output full of control characters as base64 in the envelope", async () => {
    answer = async () => result({ stdout: Buffer.alloc(1000) });
    const response = await send("POST", "/invoke/hello", {
      headers: { accept: "application/json" },
    });

    const body = (await response.json()) as { output: string; outputEncoding: string };
    expect(body.outputEncoding).toBe("base64");
    expect(Buffer.from(body.output, "base64")).toEqual(Buffer.alloc(1000));
  });
});
