import { ExecutionStatus, type FunctionResult } from "@cares/generated";
import { describe, expect, it } from "vitest";
import {
  fromFunctionRequest,
  fromFunctionResult,
  fromHeartbeatRequest,
  fromRegisterNodeRequest,
  toFunctionRequest,
  toFunctionResult,
  toHeartbeatRequest,
  toRegisterNodeRequest,
} from "../src/grpc/wire.js";
import type {
  ExecutionOutcome,
  ExecutionRequest,
  ExecutionResult,
  NodeLoad,
  NodeRegistration,
} from "../src/types.js";

function result(overrides: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    outcome: "succeeded",
    exitCode: 0,
    stdout: Buffer.from("hello\n"),
    stderr: "",
    durationMs: 42,
    errorMessage: "",
    nodeName: "w1",
    outputTruncated: false,
    ...overrides,
  };
}

function wireResult(overrides: Partial<FunctionResult> = {}): FunctionResult {
  return {
    output: "",
    success: false,
    status: ExecutionStatus.EXECUTION_STATUS_UNSPECIFIED,
    exitCode: 0,
    stderr: "",
    durationMs: 0,
    errorMessage: "",
    outputBinary: Buffer.alloc(0),
    nodeName: "",
    outputTruncated: false,
    ...overrides,
  };
}

describe("function results: output", () => {
  it("sends UTF-8 output as text and leaves output_binary empty", () => {
    const message = toFunctionResult(result({ stdout: Buffer.from("héllo, wörld ✓ 🚀") }));
    expect(message.output).toBe("héllo, wörld ✓ 🚀");
    expect(message.outputBinary).toHaveLength(0);
  });

  it("sends output that is not UTF-8 byte for byte in output_binary", () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3]);
    const message = toFunctionResult(result({ stdout: bytes }));
    expect(message.output).toBe("");
    expect(Buffer.from(message.outputBinary).equals(bytes)).toBe(true);
  });

  it("treats a UTF-8 sequence cut in half as binary", () => {
    const cut = Buffer.from("ü").subarray(0, 1);
    expect(toFunctionResult(result({ stdout: cut })).outputBinary).toHaveLength(1);
  });

  it.each([
    ["text", Buffer.from("line one\nline two\n")],
    ["empty", Buffer.alloc(0)],
    ["a BOM and NULs", Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x00, 0x62])],
    ["binary", Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xff])],
    ["every byte", Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
  ])("brings %s output back unchanged", (_what, stdout) => {
    const back = fromFunctionResult(toFunctionResult(result({ stdout })));
    expect(Buffer.isBuffer(back.stdout)).toBe(true);
    expect(back.stdout.equals(stdout)).toBe(true);
  });
});

describe("function results: outcome and status", () => {
  const pairs: [ExecutionOutcome, ExecutionStatus][] = [
    ["succeeded", ExecutionStatus.EXECUTION_STATUS_SUCCEEDED],
    ["failed", ExecutionStatus.EXECUTION_STATUS_FAILED],
    ["timed-out", ExecutionStatus.EXECUTION_STATUS_TIMED_OUT],
    ["image-unavailable", ExecutionStatus.EXECUTION_STATUS_IMAGE_UNAVAILABLE],
    ["engine-error", ExecutionStatus.EXECUTION_STATUS_ENGINE_ERROR],
    ["cancelled", ExecutionStatus.EXECUTION_STATUS_CANCELLED],
  ];

  it.each(pairs)("maps %s to status %d and back", (outcome, status) => {
    const message = toFunctionResult(result({ outcome }));
    expect(message.status).toBe(status);
    expect(message.success).toBe(outcome === "succeeded");
    expect(fromFunctionResult(message).outcome).toBe(outcome);
  });

  it("reads an unspecified status from the success flag", () => {
    expect(fromFunctionResult(wireResult({ success: true })).outcome).toBe("succeeded");
    expect(fromFunctionResult(wireResult({ success: false })).outcome).toBe("engine-error");
  });

  it("reads an unknown status number from the success flag", () => {
    const status = 99 as ExecutionStatus;
    expect(fromFunctionResult(wireResult({ status, success: true })).outcome).toBe("succeeded");
    expect(fromFunctionResult(wireResult({ status, success: false })).outcome).toBe("engine-error");
  });

  it("lets the status win over a success flag that disagrees", () => {
    const message = wireResult({ status: ExecutionStatus.EXECUTION_STATUS_FAILED, success: true });
    expect(fromFunctionResult(message).outcome).toBe("failed");
  });

  it("keeps every other field through a round trip", () => {
    const original = result({
      outcome: "failed",
      exitCode: 3,
      stderr: "oops\n",
      durationMs: 1234,
      errorMessage: "",
      nodeName: "worker-7",
    });
    expect(fromFunctionResult(toFunctionResult(original))).toEqual(original);
  });

  it("rounds the duration and never sends a negative one", () => {
    expect(toFunctionResult(result({ durationMs: 12.6 })).durationMs).toBe(13);
    expect(toFunctionResult(result({ durationMs: -5 })).durationMs).toBe(0);
  });
});

describe("function requests", () => {
  it("round-trips a request, renaming image to docker_image", () => {
    const request: ExecutionRequest = {
      invocationId: "inv-1",
      functionName: "hello",
      image: "cares/hello-world:latest",
      stdin: Buffer.from([1, 2, 3, 0xff]),
      env: { GREETING: "hi", EMPTY: "" },
      timeoutMs: 5_000,
      memoryBytes: 256 * 1024 * 1024,
      nanoCpus: 500_000_000,
      network: true,
      pullPolicy: "never",
      maxOutputBytes: 1024,
    };
    const message = toFunctionRequest(request);
    expect(message.dockerImage).toBe("cares/hello-world:latest");
    const back = fromFunctionRequest(message);
    expect(back).toEqual(request);
    expect(Buffer.isBuffer(back.stdin)).toBe(true);
  });

  it("copies env and stdin so the result does not share them with the message", () => {
    const message = toFunctionRequest({
      invocationId: "i",
      functionName: "f",
      image: "a",
      stdin: Buffer.from("x"),
      env: { A: "1" },
      timeoutMs: 0,
      memoryBytes: 0,
      nanoCpus: 0,
      network: false,
      pullPolicy: "if-missing",
      maxOutputBytes: 0,
    });
    const back = fromFunctionRequest(message);
    back.env.B = "2";
    back.stdin[0] = 0x79;
    expect(message.env).toEqual({ A: "1" });
    expect(Buffer.from(message.stdin).toString()).toBe("x");
  });
});

describe("registration and heartbeats", () => {
  it("round-trips a registration", () => {
    const registration: NodeRegistration = {
      name: "w1",
      address: "127.0.0.1:50052",
      executor: "docker",
      heartbeatIntervalMs: 1_000,
      capacity: { cpus: 8, memoryBytes: 16 * 1024 ** 3, maxConcurrency: 4 },
    };
    expect(fromRegisterNodeRequest(toRegisterNodeRequest(registration))).toEqual(registration);
  });

  it("reads a registration without capacity as zeros", () => {
    const message = {
      ...toRegisterNodeRequest({
        name: "w1",
        address: "a:1",
        executor: "fake",
        heartbeatIntervalMs: 0,
        capacity: { cpus: 1, memoryBytes: 1, maxConcurrency: 1 },
      }),
      capacity: undefined,
    };
    expect(fromRegisterNodeRequest(message).capacity).toEqual({
      cpus: 0,
      memoryBytes: 0,
      maxConcurrency: 0,
    });
  });

  it("round-trips a heartbeat", () => {
    const load: NodeLoad = {
      nodeId: "n-1",
      cpuUsage: 12.5,
      memoryUsage: 40,
      runningExecutions: 2,
      draining: true,
      unhealthyReason: "",
    };
    expect(fromHeartbeatRequest(toHeartbeatRequest(load))).toEqual(load);
  });
});
