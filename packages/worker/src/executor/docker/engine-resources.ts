import type Docker from "dockerode";
import { CaresError, type ExecutionRequest, type Logger } from "@cares/shared";
import { EngineError, bounded, engineProblem, statusCodeOf } from "./engine-calls.js";

/** The network given to functions that ask for one. */
export const FUNCTION_NETWORK = "cares-functions";

export interface EngineResourcesOptions {
  socketPath: string;
  engineCallTimeoutMs: number;
  pullTimeoutMs: number;
  /** Labels put on what is created, so that it can be found again. */
  labels: Record<string, string>;
  log: Logger;
}

/**
 * What calls need from the engine besides their container: their image, pulled once
 * however many calls wait for it, and the network of functions that ask for one.
 */
export class EngineResources {
  readonly #pulls = new Map<string, Promise<void>>();
  #network: Promise<void> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly options: EngineResourcesOptions,
  ) {}

  /** Creates the network for functions that ask for one, once. */
  ensureNetwork(): Promise<void> {
    this.#network ??= bounded(
      this.docker.createNetwork({
        Name: FUNCTION_NETWORK,
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: this.options.labels,
      }),
      this.options.engineCallTimeoutMs,
      "create the functions' network",
    ).then(
      () => undefined,
      (error: unknown) => {
        if (statusCodeOf(error) === 409) return; // it exists already
        this.#network = undefined;
        throw new EngineError(
          "engine_error",
          `cannot create the network '${FUNCTION_NETWORK}': ` +
            engineProblem(error, this.options.socketPath),
          { cause: error },
        );
      },
    );
    return this.#network;
  }

  /**
   * Pulls `image` when the engine does not have it; concurrent calls share one pull.
   * Returns the image's id.
   */
  async ensureImage(image: string, policy: ExecutionRequest["pullPolicy"]): Promise<string> {
    const inspect = async () =>
      (
        await bounded(
          this.docker.getImage(image).inspect(),
          this.options.engineCallTimeoutMs,
          "inspect the image",
        )
      ).Id;
    try {
      return await inspect();
    } catch (error) {
      if (statusCodeOf(error) !== 404) {
        throw new EngineError("engine_error", engineProblem(error, this.options.socketPath), {
          cause: error,
        });
      }
    }
    if (policy === "never") {
      throw new CaresError(
        "image_unavailable",
        `image '${image}' is not on this worker, and the function's pull policy is 'never'`,
      );
    }
    let pull = this.#pulls.get(image);
    if (!pull) {
      pull = this.#pull(image).finally(() => this.#pulls.delete(image));
      this.#pulls.set(image, pull);
    }
    await pull;
    return inspect();
  }

  async #pull(image: string): Promise<void> {
    this.options.log.info("Image '{image}' is missing; pulling it.", { image });
    try {
      await bounded(
        new Promise<void>((resolve, reject) => {
          this.docker.pull(image, (error: unknown, stream: NodeJS.ReadableStream) => {
            if (error) return reject(error);
            this.docker.modem.followProgress(stream, (failure: unknown) =>
              failure ? reject(failure) : resolve(),
            );
          });
        }),
        this.options.pullTimeoutMs,
        `pull '${image}'`,
      );
    } catch (error) {
      throw new CaresError(
        "image_unavailable",
        `image '${image}' is not on this worker and could not be pulled: ` +
          engineProblem(error, this.options.socketPath),
        { cause: error },
      );
    }
  }
}
