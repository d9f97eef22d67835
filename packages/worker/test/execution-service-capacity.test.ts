import { CaresError, type ExecutionRequest } from "@cares/shared";
import { afterEach, describe, expect, it } from "vitest";
import { FakeExecutor } from "../src/executor/fake-executor.js";
import { ExecutionService } from "../src/grpc/execution-service.js";
import { collectingLogger, executionRequest } from "./support/fixtures.js";

const SLOW = "cares/slow";
const STUCK = "cares/stuck";
const QUICK = "cares/quick";

/** Controllers of the calls a test started, aborted afterwards so that none outlives it. */
const controllers: AbortController[] = [];

afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
});

function setUp(capacity: number, slowMs = 150) {
  const fake = new FakeExecutor({
    [SLOW]: { delayMs: slowMs, stdout: "slow done" },
    [STUCK]: { delayMs: 20_000 },
    [QUICK]: { stdout: "quick done" },
  });
  const { log, records } = collectingLogger();
  const service = new ExecutionService(fake, () => "cap-node", log, capacity);
  const handlers = service.handlers();
  const call = (request: ExecutionRequest, controller = new AbortController()) => {
    controllers.push(controller);
    return handlers.executeFunction(request, { signal: controller.signal, peer: "test" });
  };
  return { fake, service, records, call };
}

async function rejection(promise: Promise<unknown>): Promise<CaresError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CaresError);
    return error as CaresError;
  }
  throw new Error("expected the call to be refused");
}

describe("ExecutionService capacity", () => {
  it("refuses a third concurrent call when it runs two at once", async () => {
    const { fake, service, records, call } = setUp(2);
    const first = call(executionRequest(SLOW));
    const second = call(executionRequest(SLOW));
    expect(service.running).toBe(2);

    const third = executionRequest(SLOW);
    const error = await rejection(call(third));
    expect(error.code).toBe("at_capacity");
    expect(error.message).toBe("the worker runs 2 calls at once");

    const refusal = records.find((r) => r.fields.invocation === third.invocationId);
    expect(refusal).toMatchObject({
      level: "warn",
      message: `Refused a call for image '${SLOW}': 2 of 2 slots busy.`,
    });
    expect(refusal?.fields).toMatchObject({ image: SLOW, running: 2, capacity: 2 });
    expect(fake.calls).toHaveLength(2);

    const results = await Promise.all([first, second]);
    expect(results.map((r) => r.outcome)).toEqual(["succeeded", "succeeded"]);
    expect(results.map((r) => r.nodeName)).toEqual(["cap-node", "cap-node"]);
  });

  it("logs nothing but the refusal for a refused call", async () => {
    const { records, call } = setUp(1);
    const running = call(executionRequest(SLOW));
    const refused = executionRequest(QUICK);
    await rejection(call(refused));
    const messages = records
      .filter((r) => r.fields.invocation === refused.invocationId)
      .map((r) => r.message);
    expect(messages).toEqual([`Refused a call for image '${QUICK}': 1 of 1 slots busy.`]);
    await running;
  });

  it("takes calls again once a slot frees up", async () => {
    const { service, call } = setUp(2);
    const running = [call(executionRequest(SLOW)), call(executionRequest(SLOW))];
    await rejection(call(executionRequest(QUICK)));
    await Promise.all(running);
    expect(service.running).toBe(0);

    const result = await call(executionRequest(QUICK));
    expect(result.outcome).toBe("succeeded");
    expect(result.stdout.toString()).toBe("quick done");
  });

  it("frees the slot of a cancelled call", async () => {
    const { service, call } = setUp(1);
    const controller = new AbortController();
    const stuck = call(executionRequest(STUCK), controller);
    await rejection(call(executionRequest(QUICK)));

    controller.abort();
    expect((await stuck).outcome).toBe("cancelled");
    expect(service.running).toBe(0);
    expect((await call(executionRequest(QUICK))).outcome).toBe("succeeded");
  });

  it("frees the slot of a call whose executor throws", async () => {
    const { fake, service, call } = setUp(1);
    const broken = new Error("engine gone");
    const run = fake.run.bind(fake);
    let fail = true;
    fake.run = async (request, signal) => {
      if (fail) throw broken;
      return run(request, signal);
    };

    await expect(call(executionRequest(QUICK))).rejects.toBe(broken);
    expect(service.running).toBe(0);
    fail = false;
    expect((await call(executionRequest(QUICK))).outcome).toBe("succeeded");
  });

  it("takes any number of calls at once with capacity 0", async () => {
    const { service, call } = setUp(0);
    const calls = Array.from({ length: 6 }, () => call(executionRequest(SLOW)));
    expect(service.running).toBe(6);
    const results = await Promise.all(calls);
    expect(results.every((r) => r.outcome === "succeeded")).toBe(true);
  });
});

describe("ExecutionService draining", () => {
  it("is not draining until drain() is called", () => {
    const { service } = setUp(2);
    expect(service.draining).toBe(false);
    expect(service.running).toBe(0);
  });

  it("resolves with 0 at once when nothing runs, and refuses new calls", async () => {
    const { fake, service, records, call } = setUp(2);
    const started = Date.now();
    await expect(service.drain(10_000)).resolves.toBe(0);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(service.draining).toBe(true);

    const refused = executionRequest(QUICK);
    const error = await rejection(call(refused));
    expect(error.code).toBe("draining");
    expect(error.message).toBe("the worker is shutting down and takes no new calls");
    expect(fake.calls).toHaveLength(0);
    expect(records.find((r) => r.fields.invocation === refused.invocationId)).toMatchObject({
      level: "warn",
      message: `Refused a call for image '${QUICK}': the worker is draining.`,
    });
  });

  it("lets running calls finish and resolves with 0 once they have", async () => {
    const { service, call } = setUp(2, 200);
    const running = [call(executionRequest(SLOW)), call(executionRequest(SLOW))];

    const started = Date.now();
    const drained = service.drain(10_000);
    expect(service.draining).toBe(true);
    expect((await rejection(call(executionRequest(QUICK)))).code).toBe("draining");

    await expect(drained).resolves.toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(service.running).toBe(0);
    const results = await Promise.all(running);
    expect(results.map((r) => r.outcome)).toEqual(["succeeded", "succeeded"]);
    expect(results[0]!.stdout.toString()).toBe("slow done");
  });

  it("resolves with the number still running when the bound passes first", async () => {
    const { service, call } = setUp(3);
    const stuck = [call(executionRequest(STUCK)), call(executionRequest(STUCK))];

    const started = Date.now();
    await expect(service.drain(100)).resolves.toBe(2);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(5_000);
    expect(service.running).toBe(2);

    for (const controller of controllers) controller.abort();
    const results = await Promise.all(stuck);
    expect(results.map((r) => r.outcome)).toEqual(["cancelled", "cancelled"]);
    expect(service.running).toBe(0);
  });

  it("refuses with draining, not at_capacity, when it is both full and draining", async () => {
    const { service, call } = setUp(1);
    const running = call(executionRequest(SLOW));
    const drained = service.drain(10_000);
    expect((await rejection(call(executionRequest(QUICK)))).code).toBe("draining");
    await running;
    await expect(drained).resolves.toBe(0);
  });

  it("resolves every drain() waiting on the same calls", async () => {
    const { service, call } = setUp(2);
    const running = call(executionRequest(SLOW));
    const drains = [service.drain(10_000), service.drain(10_000)];
    await expect(Promise.all(drains)).resolves.toEqual([0, 0]);
    await running;
  });

  it("stays draining after the drain resolves", async () => {
    const { service, call } = setUp(2);
    await service.drain(10);
    expect(service.draining).toBe(true);
    expect((await rejection(call(executionRequest(QUICK)))).code).toBe("draining");
  });
});
