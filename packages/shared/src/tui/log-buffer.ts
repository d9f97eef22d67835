import type { LogLevel } from "../logging/logger.js";

/** One line of a log pane. */
export interface LogLineView {
  /** Milliseconds since the epoch. */
  time: number;
  level: LogLevel;
  /** Where the line comes from: `orchestrator` or a node's name. */
  source: string;
  message: string;
}

/** The last `capacity` items pushed; older ones fall off the front. */
export class RingBuffer<T> {
  #items: T[] = [];

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length > this.capacity) {
      this.#items.splice(0, this.#items.length - this.capacity);
    }
  }

  /** Every item, oldest first. */
  toArray(): T[] {
    return [...this.#items];
  }

  get length(): number {
    return this.#items.length;
  }
}
