// What a worker refuses before anything reaches the engine.
import type { ExecutionRequest } from "@cares/shared";
import { describe, expect, it } from "vitest";
import { checkExecutionRequest } from "../src/grpc/request-checks.js";

function request(overrides: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    invocationId: "i",
    functionName: "echo",
    image: "cares/echo:latest",
    stdin: Buffer.alloc(0),
    env: { HTTP_METHOD: "POST" },
    timeoutMs: 0,
    memoryBytes: 0,
    nanoCpus: 0,
    network: false,
    pullPolicy: "if-missing",
    maxOutputBytes: 0,
    ...overrides,
  };
}

describe("checkExecutionRequest", () => {
  it("lets a well-formed request through", () => {
    expect(() => checkExecutionRequest(request())).not.toThrow();
  });

  it.each([
    [{ image: "" }, /image must not be empty/],
    [{ image: "--privileged" }, /image is not a valid image reference/],
    [{ image: "cares/UPPER" }, /image is not a valid image reference/],
    [{ image: "a ; rm -rf /" }, /image is not a valid image reference/],
    [{ functionName: "../etc" }, /function name may hold only/],
    [{ functionName: "x".repeat(64) }, /function name must be at most 63/],
    [{ env: { "BAD=NAME": "x" } }, /variable name 'BAD=NAME' is not valid/],
  ] as Array<[Partial<ExecutionRequest>, RegExp]>)(
    "refuses %o with invalid_argument",
    (overrides, message) => {
      expect(() => checkExecutionRequest(request(overrides))).toThrow(message);
      try {
        checkExecutionRequest(request(overrides));
      } catch (error) {
        expect(error).toMatchObject({ code: "invalid_argument" });
      }
    },
  );
});
