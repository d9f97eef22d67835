import { availableParallelism } from "node:os";
import Docker from "dockerode";
import { CaresError, describeError, type ExecutionRequest, type Logger } from "@cares/shared";
import {
  elapsedSince,
  type Executor,
  type ExecutorContext,
  type ExecutorResult,
} from "../executor.js";
import { FrameDemuxer } from "./demux.js";

export { FUNCTION_NETWORK };
import { EngineError, bounded, engineProblem, statusCodeOf } from "./engine-calls.js";
import { EngineResources, FUNCTION_NETWORK } from "./engine-resources.js";
import { OutputBuffer } from "./output-buffer.js";
import { WarmPool } from "./warm-pool.js";

const MACHINE_NANO_CPUS = availableParallelism() * 1e9;

/** Labels on every container CARES starts, so that its leftovers can be found. */
export const LABELS = {
  managed: "org.cares.managed",
  worker: "org.cares.worker",
  function: "org.cares.function",
  invocation: "org.cares.invocation",
} as const;

/** Limits every container gets, whatever its function asks for. */
export const CONTAINER_LIMITS = {
  /** Processes and threads one container may run at once. */
  pids: 256,
  /** The size of the writable /tmp (memory-backed, counted in the memory limit). */
  tmpSize: "64m",
} as const;

export interface DockerExecutorOptions {
  /** The engine's Unix socket. */
  socketPath: string;
  workerName: string;
  defaultTimeoutMs: number;
  log: Logger;
  /** The memory limit of a call whose request gives none. */
  defaultMemoryBytes?: number;
  /** Standard output past this many bytes is dropped when the request sets no cap. */
  maxOutputBytes?: number;
  /** How much of the end of standard error is kept. */
  maxStderrBytes?: number;
  /** The bound on each short engine call (inspect, create, start, kill, remove). */
  engineCallTimeoutMs?: number;
  /** The bound on pulling a missing image. */
  pullTimeoutMs?: number;
  /** Containers created ahead of time per function and settings; 0 (the default) for none. */
  warmPoolSize?: number;
  /** How long a container created ahead of time waits for a call before it is removed. */
  warmPoolIdleMs?: number;
  /** Told how long each container took from creation to running, in milliseconds. */
  onContainerStarted?: (ms: number) => void;
}

type Ending = { kind: "exited"; exitCode: number } | { kind: "timed-out" } | { kind: "cancelled" };

type Finish = (
  outcome: ExecutorResult["outcome"],
  extra?: Partial<ExecutorResult>,
) => ExecutorResult;

/**
 * Runs each call as a fresh container on a Docker engine: networking off, labelled as
 * CARES's, standard input written and closed, standard output and error collected apart,
 * and the container removed whatever happens.
 */
export class DockerExecutor implements Executor {
  readonly name = "docker";
  readonly #docker: Docker;
  readonly #options: Required<DockerExecutorOptions>;
  /** Removals still under way; the caller has its answer before they finish. */
  readonly #removals = new Set<Promise<void>>();
  readonly #pool: WarmPool;
  readonly #resources: EngineResources;

  constructor(options: DockerExecutorOptions) {
    this.#options = {
      defaultMemoryBytes: 256 * 1024 * 1024,
      maxOutputBytes: 10 * 1024 * 1024,
      maxStderrBytes: 64 * 1024,
      engineCallTimeoutMs: 15_000,
      pullTimeoutMs: 120_000,
      warmPoolSize: 0,
      warmPoolIdleMs: 60_000,
      ...options,
      onContainerStarted: options.onContainerStarted ?? (() => {}),
    };
    this.#docker = new Docker({ socketPath: options.socketPath });
    this.#resources = new EngineResources(this.#docker, {
      socketPath: options.socketPath,
      engineCallTimeoutMs: this.#options.engineCallTimeoutMs,
      pullTimeoutMs: this.#options.pullTimeoutMs,
      labels: { [LABELS.managed]: "true" },
      log: this.#options.log,
    });
    this.#pool = new WarmPool({
      perKey: this.#options.warmPoolSize,
      idleMs: this.#options.warmPoolIdleMs,
      create: (spec) =>
        bounded(
          this.#docker.createContainer(spec),
          this.#options.engineCallTimeoutMs,
          "create the container",
        ),
      remove: (container) => this.#remove(container),
      log: this.#options.log,
    });
  }

  async run(request: ExecutionRequest, signal: AbortSignal): Promise<ExecutorResult> {
    const start = performance.now();
    const finish: Finish = (outcome, extra = {}) => ({
      outcome,
      exitCode: -1,
      stdout: Buffer.alloc(0),
      stderr: "",
      errorMessage: "",
      outputTruncated: false,
      ...extra,
      durationMs: elapsedSince(start),
    });

    let imageId: string;
    try {
      imageId = await this.#resources.ensureImage(request.image, request.pullPolicy);
      if (request.network) await this.#resources.ensureNetwork();
    } catch (error) {
      const unavailable = error instanceof CaresError && error.code === "image_unavailable";
      return finish(unavailable ? "image-unavailable" : "engine-error", {
        errorMessage: describeError(error),
      });
    }
    if (signal.aborted) return finish("cancelled", { errorMessage: "cancelled before start" });

    const creating = performance.now();
    const spec = this.#containerSpec(request);
    const key = WarmPool.keyOf(spec, imageId);
    let container: Docker.Container;
    try {
      const ready = this.#pool.take(key);
      if (ready) {
        this.#options.log.debug("Call {invocation} runs in container {container}, made ahead.", {
          invocation: request.invocationId,
          container: ready.id.slice(0, 12),
        });
      }
      container =
        ready ??
        (await bounded(
          this.#docker.createContainer(spec),
          this.#options.engineCallTimeoutMs,
          "create the container",
        ));
    } catch (error) {
      return finish("engine-error", {
        errorMessage:
          `cannot create a container for '${request.image}': ` +
          engineProblem(error, this.#options.socketPath),
      });
    }

    try {
      return await this.#runContainer(container, request, signal, finish, creating);
    } catch (error) {
      return finish("engine-error", {
        errorMessage:
          `running '${request.image}' failed: ` + engineProblem(error, this.#options.socketPath),
      });
    } finally {
      // Removing takes a round trip the caller need not wait for; cleanUp() and close()
      // wait for every removal still under way.
      const removal = this.#remove(container).finally(() => this.#removals.delete(removal));
      this.#removals.add(removal);
      this.#pool.refill(key, spec);
    }
  }

  #containerSpec(request: ExecutionRequest): Docker.ContainerCreateOptions {
    const memory = request.memoryBytes || this.#options.defaultMemoryBytes;
    return {
      Image: request.image,
      Env: Object.entries(request.env).map(([key, value]) => `${key}=${value}`),
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      Labels: {
        [LABELS.managed]: "true",
        [LABELS.worker]: this.#options.workerName,
        [LABELS.function]: request.functionName,
        [LABELS.invocation]: request.invocationId,
      },
      HostConfig: {
        NetworkMode: request.network ? FUNCTION_NETWORK : "none",
        Memory: memory,
        // The same as Memory: no swap on top of the limit.
        MemorySwap: memory,
        // The engine refuses more CPUs than the machine has; a function asking for more
        // gets them all.
        NanoCpus: request.nanoCpus ? Math.min(request.nanoCpus, MACHINE_NANO_CPUS) : undefined,
        PidsLimit: CONTAINER_LIMITS.pids,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        ReadonlyRootfs: true,
        Tmpfs: { "/tmp": `rw,nosuid,nodev,size=${CONTAINER_LIMITS.tmpSize}` },
      },
    };
  }

  async #runContainer(
    container: Docker.Container,
    request: ExecutionRequest,
    signal: AbortSignal,
    finish: Finish,
    creating: number,
  ): Promise<ExecutorResult> {
    const { engineCallTimeoutMs } = this.#options;
    const memory = request.memoryBytes || this.#options.defaultMemoryBytes;
    const timeoutMs = request.timeoutMs || this.#options.defaultTimeoutMs;
    const stdout = new OutputBuffer(request.maxOutputBytes || this.#options.maxOutputBytes, "head");
    const stderr = new OutputBuffer(this.#options.maxStderrBytes, "tail");
    const demux = new FrameDemuxer(
      (chunk) => stdout.push(chunk),
      (chunk) => stderr.push(chunk),
    );

    // Attach before starting, so that not a byte of output is missed.
    const stream = (await bounded(
      container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
      engineCallTimeoutMs,
      "attach to the container",
    )) as NodeJS.ReadWriteStream;
    const drained = new Promise<void>((resolve) => {
      stream.once("end", resolve);
      stream.once("close", resolve);
      stream.once("error", () => resolve());
    });
    stream.on("data", (chunk: Buffer) => demux.push(chunk));

    await bounded(container.start(), engineCallTimeoutMs, "start the container");
    this.#options.onContainerStarted(elapsedSince(creating));
    stream.end(request.stdin);

    const ending = await this.#awaitEnding(container, request, signal);
    if (ending.kind !== "exited") {
      await bounded(container.kill(), engineCallTimeoutMs, "kill the container").catch(() => {});
    }
    // The engine may report the exit before the last output has arrived.
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);

    const output = {
      stdout: stdout.toBuffer(),
      stderr: stderr.toBuffer().toString("utf8"),
      outputTruncated: stdout.truncated,
    };
    switch (ending.kind) {
      case "exited": {
        const oom = ending.exitCode !== 0 && (await this.#wasOomKilled(container));
        return finish(ending.exitCode === 0 ? "succeeded" : "failed", {
          ...output,
          exitCode: ending.exitCode,
          errorMessage: oom ? `killed for using more than its memory limit of ${memory} bytes` : "",
        });
      }
      case "timed-out":
        return finish("timed-out", {
          ...output,
          errorMessage: `stopped after its timeout of ${timeoutMs} ms`,
        });
      case "cancelled":
        return finish("cancelled", { ...output, errorMessage: "the call was cancelled" });
    }
  }

  #awaitEnding(
    container: Docker.Container,
    request: ExecutionRequest,
    signal: AbortSignal,
  ): Promise<Ending> {
    const timeoutMs = request.timeoutMs || this.#options.defaultTimeoutMs;
    return new Promise<Ending>((resolve, reject) => {
      const timer = setTimeout(() => done({ kind: "timed-out" }), timeoutMs);
      const onAbort = () => done({ kind: "cancelled" });
      const done = (ending: Ending) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(ending);
      };
      if (signal.aborted) return done({ kind: "cancelled" });
      signal.addEventListener("abort", onAbort, { once: true });
      container.wait().then(
        (answer: { StatusCode: number }) => done({ kind: "exited", exitCode: answer.StatusCode }),
        (error: unknown) => {
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  async #wasOomKilled(container: Docker.Container): Promise<boolean> {
    try {
      const info = await bounded(
        container.inspect(),
        this.#options.engineCallTimeoutMs,
        "inspect the container",
      );
      return info.State.OOMKilled === true;
    } catch {
      return false;
    }
  }

  async #remove(container: Docker.Container): Promise<void> {
    try {
      await bounded(
        container.remove({ force: true, v: true }),
        this.#options.engineCallTimeoutMs,
        "remove the container",
      );
    } catch (error) {
      if (statusCodeOf(error) === 404) return;
      this.#options.log.warn("Could not remove container {container}: {error}", {
        container: container.id.slice(0, 12),
        error: engineProblem(error, this.#options.socketPath),
      });
    }
  }

  /**
   * Removes this worker's containers that are still on the engine.
   *
   * Limitation: only a worker of the same name finds them, so the containers of a worker
   * killed outright run to their own end and stay until that name starts again.
   */
  async cleanUp(): Promise<void> {
    await Promise.all(this.#removals);
    const filters = {
      label: [`${LABELS.managed}=true`, `${LABELS.worker}=${this.#options.workerName}`],
    };
    let leftovers: Docker.ContainerInfo[];
    try {
      leftovers = await bounded(
        this.#docker.listContainers({ all: true, filters }),
        this.#options.engineCallTimeoutMs,
        "list containers",
      );
    } catch (error) {
      this.#options.log.warn("Could not look for leftover containers: {error}", {
        error: engineProblem(error, this.#options.socketPath),
      });
      return;
    }
    for (const info of leftovers) await this.#remove(this.#docker.getContainer(info.Id));
    if (leftovers.length > 0) {
      this.#options.log.info("Removed {count} leftover containers.", { count: leftovers.length });
    }
  }

  async health(): Promise<string> {
    try {
      await bounded(this.#docker.ping(), 2_000, "answer a ping");
      return "";
    } catch (error) {
      return engineProblem(error, this.#options.socketPath);
    }
  }

  /** Asks the engine whether it answers; throws a message a person can act on when not. */
  async ping(): Promise<void> {
    try {
      await bounded(this.#docker.ping(), this.#options.engineCallTimeoutMs, "answer a ping");
    } catch (error) {
      throw new CaresError("engine_unavailable", engineProblem(error, this.#options.socketPath), {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
    await Promise.all(this.#removals);
  }
}

/**
 * Builds the docker executor from its settings: `socket` names the engine's socket,
 * `warmPool` and `warmPoolIdleMs` size the pool of containers made ahead of time.
 */
export function createDockerExecutor(context: ExecutorContext): DockerExecutor {
  return new DockerExecutor({
    socketPath: context.settings.socket || "/var/run/docker.sock",
    workerName: context.workerName,
    defaultTimeoutMs: context.defaultTimeoutMs,
    log: context.log,
    onContainerStarted: context.onContainerStarted,
    warmPoolSize: Number(context.settings.warmPool ?? 0),
    warmPoolIdleMs: Number(context.settings.warmPoolIdleMs ?? 60_000),
  });
}
