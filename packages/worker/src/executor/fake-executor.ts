import { readFileSync } from "node:fs";
import { CaresError, type ExecutionOutcome, type ExecutionRequest } from "@cares/shared";
import {
  elapsedSince,
  type Executor,
  type ExecutorContext,
  type ExecutorResult,
} from "./executor.js";

/**
 * What the fake executor does for one image. With no `stdout`, it echoes standard input,
 * like `cat`.
 */
export interface FakeRule {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** How long the call takes; a delay past the timeout gives `timed-out`. */
  delayMs?: number;
  /** Reports an outcome that did not come from the function (e.g. `image-unavailable`). */
  outcome?: Exclude<ExecutionOutcome, "succeeded" | "failed" | "timed-out" | "cancelled">;
  errorMessage?: string;
}

function wait(ms: number, signal: AbortSignal): Promise<"done" | "aborted"> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve("aborted");
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve("done");
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve("aborted");
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * An executor that runs nothing: it answers each call from a table of rules by image, in
 * memory. For tests and for trying CARES without a container engine.
 */
export class FakeExecutor implements Executor {
  readonly name = "fake";
  readonly calls: ExecutionRequest[] = [];
  readonly #rules: Map<string, FakeRule>;
  readonly #defaultTimeoutMs: number;

  constructor(rules: Record<string, FakeRule> = {}, defaultTimeoutMs = 30_000) {
    this.#rules = new Map(Object.entries(rules));
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  /** Sets what calls for `image` do from now on. */
  setRule(image: string, rule: FakeRule): void {
    this.#rules.set(image, rule);
  }

  async run(request: ExecutionRequest, signal: AbortSignal): Promise<ExecutorResult> {
    this.calls.push(request);
    const start = performance.now();
    const rule = this.#rules.get(request.image) ?? {};
    const timeoutMs = request.timeoutMs || this.#defaultTimeoutMs;
    const base = {
      stdout: Buffer.alloc(0),
      stderr: "",
      errorMessage: "",
      exitCode: -1,
      outputTruncated: false,
    };

    if (signal.aborted) {
      return {
        ...base,
        outcome: "cancelled",
        errorMessage: "the call was cancelled",
        durationMs: 0,
      };
    }
    if (rule.outcome) {
      return {
        ...base,
        outcome: rule.outcome,
        errorMessage: rule.errorMessage ?? rule.outcome,
        durationMs: 0,
      };
    }
    const delay = rule.delayMs ?? 0;
    if (delay > 0) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const waited = await wait(delay, AbortSignal.any([signal, timeout]));
      if (waited === "aborted") {
        const outcome = signal.aborted ? "cancelled" : "timed-out";
        const errorMessage = signal.aborted
          ? "the call was cancelled"
          : `stopped after its timeout of ${timeoutMs} ms`;
        return { ...base, outcome, errorMessage, durationMs: elapsedSince(start) };
      }
    }
    const exitCode = rule.exitCode ?? 0;
    const stdout = rule.stdout === undefined ? request.stdin : Buffer.from(rule.stdout, "utf8");
    const cap = request.maxOutputBytes || stdout.length;
    return {
      outcome: exitCode === 0 ? "succeeded" : "failed",
      exitCode,
      stdout: stdout.subarray(0, cap),
      stderr: rule.stderr ?? "",
      errorMessage: "",
      durationMs: elapsedSince(start),
      outputTruncated: stdout.length > cap,
    };
  }

  /** What health() reports; tests set it to make the node unhealthy. */
  unhealthyReason = "";

  async health(): Promise<string> {
    return this.unhealthyReason;
  }

  async cleanUp(): Promise<void> {}

  async close(): Promise<void> {}
}

/**
 * Builds the fake from its settings: `rules` names a JSON file of `{ "image": FakeRule }`.
 */
export function createFakeExecutor(context: ExecutorContext): FakeExecutor {
  const file = context.settings.rules;
  let rules: Record<string, FakeRule> = {};
  if (file) {
    try {
      rules = JSON.parse(readFileSync(file, "utf8")) as Record<string, FakeRule>;
    } catch (error) {
      throw new CaresError(
        "invalid_config",
        `cannot read fake executor rules from ${file}: ${(error as Error).message}`,
      );
    }
  }
  return new FakeExecutor(rules, context.defaultTimeoutMs);
}
