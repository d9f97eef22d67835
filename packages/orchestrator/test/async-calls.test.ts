// Asynchronous calls in process: 202 at once, then polling until the result is there.
import type { ExecutionResult } from "@cares/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, eventually, okResult, type TestApp } from "./support/in-process.js";

let t: TestApp;
beforeEach(async () => {
  t = createTestApp({ maxQueued: 3 });
  const response = await t.send("POST", "/functions", {
    body: JSON.stringify({ name: "echo", image: "cares/echo" }),
  });
  expect(response.status).toBe(201);
});
afterEach(() => t.close());

async function poll(location: string, until = (status: string) => status !== "queued") {
  return eventually(async () => {
    const body = (await (await t.send("GET", location)).json()) as Record<string, unknown>;
    return until(body.status as string) ? body : undefined;
  });
}

describe("POST /invoke/{name} with Prefer: respond-async", () => {
  it("answers 202 at once with the id and a Location, and the result comes later", async () => {
    t.addNode();
    let release!: (result: ExecutionResult) => void;
    t.worker.answer = (request) =>
      new Promise((resolve) => {
        release = resolve;
        expect(request.stdin.toString()).toBe("ping");
      });

    const response = await t.send("POST", "/invoke/echo", {
      body: "ping",
      headers: { prefer: "respond-async" },
    });

    expect(response.status).toBe(202);
    expect(response.headers.get("preference-applied")).toBe("respond-async");
    const accepted = (await response.json()) as { invocationId: string; location: string };
    expect(accepted.location).toBe(`/invocations/${accepted.invocationId}`);
    expect(response.headers.get("location")).toBe(accepted.location);

    const running = await poll(accepted.location, (status) => status === "running");
    expect(running).toMatchObject({ function: "echo", node: "w1", async: true });
    expect(running.result).toBeUndefined();

    release(okResult({ stdout: Buffer.from("pong"), durationMs: 7 }));
    const done = await poll(accepted.location, (status) => status === "succeeded");
    expect(done).toMatchObject({
      id: accepted.invocationId,
      exitCode: 0,
      durationMs: 7,
      requestBytes: 4,
      responseBytes: 4,
      result: { output: "pong", outputEncoding: "utf8", outputTruncated: false, stderr: "" },
    });
  });

  it("takes ?async=true too, and hides that parameter from the function", async () => {
    t.addNode();
    const seen: Array<Record<string, string>> = [];
    t.worker.answer = async (request) => {
      seen.push(request.env);
      return okResult();
    };
    const response = await t.send("POST", "/invoke/echo/sub/path?async=true&x=1");
    expect(response.status).toBe(202);
    expect(response.headers.get("preference-applied")).toBeNull();
    const { location } = (await response.json()) as { location: string };
    await poll(location, (status) => status === "succeeded");
    expect(seen[0]).toMatchObject({ HTTP_PATH: "/sub/path", HTTP_QUERY: "x=1" });
  });

  it("keeps the exit code and stderr of a function that failed", async () => {
    t.addNode();
    t.worker.answer = async () =>
      okResult({ outcome: "failed", exitCode: 3, stdout: Buffer.alloc(0), stderr: "boom\n" });
    const { location } = (await (await t.send("POST", "/invoke/echo?async=true")).json()) as {
      location: string;
    };
    const done = await poll(location, (status) => status === "failed");
    expect(done).toMatchObject({ exitCode: 3, result: { stderr: "boom\n", output: "" } });
  });

  it("waits for a node rather than fail while none is Active", async () => {
    const { location } = (await (await t.send("POST", "/invoke/echo?async=true")).json()) as {
      location: string;
    };
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await (await t.send("GET", location)).json()) as object).toMatchObject({
      status: "queued",
    });
    t.addNode();
    await poll(location, (status) => status === "succeeded");
  });

  it("waits for room rather than fail while every node is full", async () => {
    t.addNode("w1", 1);
    t.worker.answer = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return okResult();
    };
    const accepted = await Promise.all(
      [1, 2].map(async () => {
        const response = await t.send("POST", "/invoke/echo?async=true");
        return ((await response.json()) as { location: string }).location;
      }),
    );

    for (const location of accepted) {
      await poll(location, (status) => status === "succeeded");
    }
  });

  it("answers 404 for an unknown function without queueing anything", async () => {
    const response = await t.send("POST", "/invoke/nope?async=true");
    expect(response.status).toBe(404);
    expect(await (await t.send("GET", "/invocations")).json()).toEqual({ invocations: [] });
  });

  it("answers 429 when the backlog is full", async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push((await t.send("POST", "/invoke/echo?async=true")).status);
    }
    expect(codes).toEqual([202, 202, 202, 429]);
  });

  it("answers 413 for an oversized body, as a waiting call would", async () => {
    const response = await t.send("POST", "/invoke/echo?async=true", { body: "x".repeat(2000) });
    expect(response.status).toBe(413);
  });
});

describe("GET /invocations", () => {
  it("lists the newest first, filtered by function and bounded by limit", async () => {
    t.addNode();
    await t.send("POST", "/functions", {
      body: JSON.stringify({ name: "other", image: "cares/echo" }),
    });
    for (const name of ["echo", "other", "echo", "echo"]) {
      expect((await t.send("POST", `/invoke/${name}`, { body: name })).status).toBe(200);
    }

    const all = (await (await t.send("GET", "/invocations")).json()) as {
      invocations: Array<Record<string, unknown>>;
    };
    expect(all.invocations.map((i) => i.function)).toEqual(["echo", "echo", "other", "echo"]);
    expect(all.invocations[0]).toMatchObject({
      status: "succeeded",
      node: "w1",
      async: false,
      exitCode: 0,
      requestBytes: 4,
      responseBytes: 19,
    });

    const some = (await (await t.send("GET", "/invocations?function=echo&limit=2")).json()) as {
      invocations: Array<Record<string, unknown>>;
    };
    expect(some.invocations).toHaveLength(2);
    expect(some.invocations.every((i) => i.function === "echo")).toBe(true);
  });

  it("gives one call by id, without output for a synchronous one, and 404 for none", async () => {
    t.addNode();
    const call = await t.send("POST", "/invoke/echo");
    const id = call.headers.get("x-cares-invocation-id")!;
    const one = (await (await t.send("GET", `/invocations/${id}`)).json()) as object;
    expect(one).toMatchObject({ id, status: "succeeded" });
    expect(one).not.toHaveProperty("result");

    const missing = await t.send("GET", "/invocations/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "invocation_not_found" });
  });

  it("records calls that failed on the way as errors with their code", async () => {
    t.addNode();
    t.worker.answer = async () => {
      throw new Error("connection reset");
    };
    const response = await t.send("POST", "/invoke/echo");
    expect(response.status).toBe(502);
    const [entry] = (
      (await (await t.send("GET", "/invocations")).json()) as {
        invocations: Array<Record<string, unknown>>;
      }
    ).invocations;
    expect(entry).toMatchObject({ status: "error", error: { code: "worker_error" } });
  });

  it("refuses a bad filter or limit with 400", async () => {
    for (const query of ["function=Bad_Name", "limit=0", "limit=abc", "limit=100000"]) {
      const response = await t.send("GET", `/invocations?${query}`);
      expect(response.status, query).toBe(400);
    }
  });
});
