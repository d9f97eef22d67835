import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CaresError, Logger, silentSink } from "@cares/shared";
import { createFakeExecutor, FakeExecutor } from "../src/executor/fake-executor.js";
import { executionRequest } from "./support/fixtures.js";

const request = executionRequest;

const never = () => new AbortController().signal;

describe("FakeExecutor", () => {
  it("echoes standard input when no rule names the image", async () => {
    const fake = new FakeExecutor();
    const stdin = Buffer.from("héllo 🚀\n");
    const result = await fake.run(request("any/image", { stdin }), never());
    expect(result).toMatchObject({ outcome: "succeeded", exitCode: 0, stderr: "" });
    expect(result.stdout.equals(stdin)).toBe(true);
    expect(result.errorMessage).toBe("");
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("records every call it is given", async () => {
    const fake = new FakeExecutor();
    await fake.run(request("a"), never());
    await fake.run(request("b"), never());
    expect(fake.calls.map((call) => call.image)).toEqual(["a", "b"]);
  });

  it("answers from the rule for the image", async () => {
    const fake = new FakeExecutor({ "cares/hello-world": { stdout: "Hello from Docker!\n" } });
    const result = await fake.run(
      request("cares/hello-world", { stdin: Buffer.from("x") }),
      never(),
    );
    expect(result.outcome).toBe("succeeded");
    expect(result.stdout.toString()).toBe("Hello from Docker!\n");
  });

  it("reports a non-zero exit code as failed, with its standard error", async () => {
    const fake = new FakeExecutor({ "cares/fail": { stderr: "boom\n", exitCode: 3 } });
    const result = await fake.run(request("cares/fail"), never());
    expect(result).toMatchObject({ outcome: "failed", exitCode: 3, stderr: "boom\n" });
  });

  it("follows rules set after construction", async () => {
    const fake = new FakeExecutor();
    fake.setRule("img", { stdout: "now", exitCode: 1 });
    const result = await fake.run(request("img"), never());
    expect(result).toMatchObject({ outcome: "failed", exitCode: 1 });
    expect(result.stdout.toString()).toBe("now");
  });

  it("runs a delay to completion when it is within the timeout", async () => {
    const fake = new FakeExecutor({ slow: { delayMs: 50, stdout: "done" } });
    const result = await fake.run(request("slow", { timeoutMs: 1_000 }), never());
    expect(result.outcome).toBe("succeeded");
    expect(result.durationMs).toBeGreaterThanOrEqual(40);
  });

  it("times out when the delay runs past the request's timeout", async () => {
    const fake = new FakeExecutor({ slow: { delayMs: 5_000 } });
    const started = Date.now();
    const result = await fake.run(request("slow", { timeoutMs: 100 }), never());
    expect(result).toMatchObject({ outcome: "timed-out", exitCode: -1 });
    expect(result.stdout.length).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("uses its default timeout when the request gives none", async () => {
    const fake = new FakeExecutor({ slow: { delayMs: 5_000 } }, 100);
    const result = await fake.run(request("slow", { timeoutMs: 0 }), never());
    expect(result.outcome).toBe("timed-out");
  });

  it("is cancelled when the signal is aborted during the delay", async () => {
    const fake = new FakeExecutor({ slow: { delayMs: 5_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const result = await fake.run(request("slow", { timeoutMs: 10_000 }), controller.signal);
    expect(result).toMatchObject({ outcome: "cancelled", exitCode: -1 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("reports a rule's outcome, with its message or the outcome's name", async () => {
    const fake = new FakeExecutor({
      missing: { outcome: "image-unavailable", errorMessage: "image 'missing' is gone" },
      broken: { outcome: "engine-error" },
    });
    expect(await fake.run(request("missing"), never())).toMatchObject({
      outcome: "image-unavailable",
      exitCode: -1,
      errorMessage: "image 'missing' is gone",
    });
    expect(await fake.run(request("broken"), never())).toMatchObject({
      outcome: "engine-error",
      errorMessage: "engine-error",
    });
  });
});

describe("createFakeExecutor", () => {
  const dir = mkdtempSync(join(tmpdir(), "cares-fake-rules-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const context = (rules: string) => ({
    workerName: "w",
    defaultTimeoutMs: 100,
    log: new Logger(silentSink),
    settings: { rules },
  });

  it("reads its rules from the JSON file named in the settings", async () => {
    const file = join(dir, "rules.json");
    writeFileSync(
      file,
      JSON.stringify({
        "cares/fail": { stderr: "nope\n", exitCode: 3 },
        "cares/sleep": { delayMs: 5_000 },
      }),
    );
    const fake = createFakeExecutor(context(file));
    expect(fake.name).toBe("fake");
    expect(await fake.run(request("cares/fail"), never())).toMatchObject({
      outcome: "failed",
      exitCode: 3,
      stderr: "nope\n",
    });
    // The context's default timeout applies to requests without one.
    expect((await fake.run(request("cares/sleep"), never())).outcome).toBe("timed-out");
  });

  it("echoes everything when no file is named", async () => {
    const fake = createFakeExecutor(context(""));
    const result = await fake.run(request("x", { stdin: Buffer.from("in") }), never());
    expect(result.stdout.toString()).toBe("in");
  });

  it("fails with a clear invalid_config error for a missing file", () => {
    const file = join(dir, "does-not-exist.json");
    let caught: unknown;
    try {
      createFakeExecutor(context(file));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CaresError);
    expect((caught as CaresError).code).toBe("invalid_config");
    expect((caught as CaresError).message).toContain(
      `cannot read fake executor rules from ${file}`,
    );
    expect((caught as CaresError).message).toMatch(/ENOENT/);
  });

  it("fails with a clear invalid_config error for a file that is not JSON", () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ not json");
    expect(() => createFakeExecutor(context(file))).toThrow(
      expect.objectContaining({
        code: "invalid_config",
        message: expect.stringContaining(`cannot read fake executor rules from ${file}`),
      }),
    );
  });
});
