import type Docker from "dockerode";
import type { Logger } from "@cares/shared";

export interface WarmPoolOptions {
  /** Containers kept ready per key (a function's image and settings); 0 turns the pool off. */
  perKey: number;
  /** A ready container unused this long is removed. */
  idleMs: number;
  create(spec: Docker.ContainerCreateOptions): Promise<Docker.Container>;
  remove(container: Docker.Container): Promise<void>;
  log: Logger;
}

interface Ready {
  container: Docker.Container;
  readyAt: number;
}

/**
 * Containers created ahead of time, never started, for calls that are likely to come
 * again: creating one is an engine round trip the next call then skips.
 *
 * It is safe because a created container has run nothing yet, and it is only handed to
 * a call whose container would be created exactly the same: the key is the whole create
 * request (image id, environment, limits, network) but for the call's own labels. A new
 * build of the image gives a new image id, so a container made from the old one is never
 * used.
 *
 * Limitation: a container taken from the pool carries `org.cares.invocation=pooled`, not
 * the id of the call it ran; the worker logs which container served which call.
 */
export class WarmPool {
  readonly #ready = new Map<string, Ready[]>();
  readonly #filling = new Set<string>();
  /** Creations and removals under way; close() waits for them, so none outlives it. */
  readonly #pending = new Set<Promise<void>>();
  readonly #options: WarmPoolOptions;
  readonly #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: WarmPoolOptions) {
    this.#options = options;
    if (options.perKey > 0) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.max(100, options.idleMs / 2));
      this.#sweeper.unref();
    }
  }

  /** The key of a create request, without the labels that name one call. */
  static keyOf(spec: Docker.ContainerCreateOptions, imageId: string): string {
    const { Labels, ...rest } = spec;
    const { [INVOCATION_LABEL]: _call, ...labels } = Labels ?? {};
    return JSON.stringify({ imageId, rest, labels });
  }

  /** A ready container for `key`, taken out of the pool, or undefined. */
  take(key: string): Docker.Container | undefined {
    const ready = this.#ready.get(key);
    const entry = ready?.pop();
    if (ready && ready.length === 0) this.#ready.delete(key);
    return entry?.container;
  }

  /** Creates containers for `key`, in the background, until it has its share. */
  refill(key: string, spec: Docker.ContainerCreateOptions): void {
    if (this.#options.perKey <= 0 || this.#closed || this.#filling.has(key)) return;
    if ((this.#ready.get(key)?.length ?? 0) >= this.#options.perKey) return;
    this.#filling.add(key);
    const pooled = { ...spec, Labels: { ...spec.Labels, [INVOCATION_LABEL]: "pooled" } };
    const creation: Promise<void> = this.#options
      .create(pooled)
      .then(
        async (container) => {
          if (this.#closed) return this.#options.remove(container);
          const ready = this.#ready.get(key) ?? [];
          ready.push({ container, readyAt: Date.now() });
          this.#ready.set(key, ready);
        },
        (error: Error) => {
          this.#options.log.debug("Could not create a container ahead of time: {error}", {
            error: error.message,
          });
        },
      )
      .finally(() => {
        this.#filling.delete(key);
        this.#pending.delete(creation);
      });
    this.#pending.add(creation);
  }

  /** Containers ready now, over every key. */
  get size(): number {
    let size = 0;
    for (const ready of this.#ready.values()) size += ready.length;
    return size;
  }

  /** Removes every ready container and stops making new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    await Promise.all(this.#pending);
    const all = [...this.#ready.values()].flat();
    this.#ready.clear();
    await Promise.all(all.map((entry) => this.#options.remove(entry.container)));
  }

  #sweep(): void {
    const limit = Date.now() - this.#options.idleMs;
    for (const [key, ready] of this.#ready) {
      const stale = ready.filter((entry) => entry.readyAt < limit);
      if (stale.length === 0) continue;
      const fresh = ready.filter((entry) => entry.readyAt >= limit);
      if (fresh.length > 0) this.#ready.set(key, fresh);
      else this.#ready.delete(key);
      for (const entry of stale) {
        const removal: Promise<void> = this.#options
          .remove(entry.container)
          .finally(() => this.#pending.delete(removal));
        this.#pending.add(removal);
      }
    }
  }
}

/** The label that names the call a container runs. */
export const INVOCATION_LABEL = "org.cares.invocation";
