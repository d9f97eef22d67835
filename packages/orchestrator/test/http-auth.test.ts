// The API token: every endpoint but the health checks needs it, compared in full.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bearerCheck } from "../src/http/auth.js";
import { createTestApp, type TestApp } from "./support/in-process.js";

const TOKEN = "correct-horse-battery-staple";

/** Every endpoint of the API, with a body where it takes one. */
const ENDPOINTS: Array<[string, string, RequestInit?]> = [
  ["POST", "/functions", { body: JSON.stringify({ name: "f", image: "cares/echo" }) }],
  ["GET", "/functions"],
  ["GET", "/functions/f"],
  ["DELETE", "/functions/f"],
  ["POST", "/invoke/f", { body: "x" }],
  ["GET", "/invoke/f/some/path"],
  ["POST", "/invoke/f?async=true", { body: "x" }],
  ["GET", "/nodes"],
  ["GET", "/invocations"],
  ["GET", "/invocations/00000000-0000-0000-0000-000000000000"],
  ["GET", "/metrics"],
  ["GET", "/no-such-route"],
];

let t: TestApp;
beforeEach(() => {
  t = createTestApp({ apiToken: TOKEN });
  t.addNode();
});
afterEach(() => t.close());

const withAuth = (init: RequestInit | undefined, authorization?: string): RequestInit => ({
  ...init,
  headers: authorization === undefined ? {} : { authorization },
});

describe("with CARES_API_TOKEN set", () => {
  it.each(ENDPOINTS)("%s %s answers 401 without a token", async (method, path, init) => {
    const response = await t.send(method, path, withAuth(init));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="cares"');
    expect(await response.json()).toMatchObject({ error: "unauthorized" });
  });

  it.each(ENDPOINTS)("%s %s answers 401 with a wrong token", async (method, path, init) => {
    for (const header of [
      "Bearer wrong",
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
      "Bearer",
    ]) {
      const response = await t.send(method, path, withAuth(init, header));
      expect(response.status, header).toBe(401);
    }
  });

  it.each(ENDPOINTS)("%s %s lets the right token through", async (method, path, init) => {
    const response = await t.send(method, path, withAuth(init, `Bearer ${TOKEN}`));
    expect(response.status).not.toBe(401);
  });

  it("leaves /healthz and /readyz open to probes", async () => {
    expect((await t.send("GET", "/healthz")).status).toBe(200);
    expect((await t.send("GET", "/readyz")).status).toBe(200);
  });

  it("changes nothing when refused", async () => {
    await t.send("POST", "/functions", {
      body: JSON.stringify({ name: "f", image: "cares/echo" }),
    });
    const list = await t.send("GET", "/functions", withAuth({}, `Bearer ${TOKEN}`));
    expect(await list.json()).toEqual({ functions: [] });
  });
});

describe("without a token", () => {
  it("leaves every endpoint open", async () => {
    const open = createTestApp();
    try {
      expect((await open.send("GET", "/functions")).status).toBe(200);
      expect((await open.send("GET", "/metrics")).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe("checkBearer", () => {
  it("reads Node's request headers as well as fetch ones, for the WebSocket upgrade", () => {
    const check = bearerCheck(TOKEN);
    expect(() => check({ headers: { authorization: `Bearer ${TOKEN}` } })).not.toThrow();
    expect(() =>
      check({ headers: new Headers({ authorization: `bearer ${TOKEN}` }) }),
    ).not.toThrow();
    expect(() => check({ headers: {} })).toThrow(/needs 'Authorization: Bearer/);
    expect(() => check({ headers: { authorization: "Bearer nope" } })).toThrow(/not valid/);
  });

  it("lets everything through when no token is set", () => {
    expect(() => bearerCheck(undefined)({ headers: {} })).not.toThrow();
    expect(() => bearerCheck("")({ headers: {} })).not.toThrow();
  });
});
