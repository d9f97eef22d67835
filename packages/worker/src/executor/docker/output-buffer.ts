/** Collects a stream's bytes up to a cap, remembering whether anything was cut. */
export class OutputBuffer {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;

  constructor(
    private readonly cap: number,
    private readonly keep: "head" | "tail" = "head",
  ) {}

  push(chunk: Buffer): void {
    if (this.keep === "head") {
      const room = this.cap - this.#size;
      if (room <= 0) {
        this.#truncated ||= chunk.length > 0;
        return;
      }
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.#truncated ||= piece.length < chunk.length;
      this.#chunks.push(Buffer.from(piece));
      this.#size += piece.length;
      return;
    }
    this.#chunks.push(Buffer.from(chunk));
    this.#size += chunk.length;
    while (this.#size > this.cap && this.#chunks.length > 0) {
      const first = this.#chunks[0]!;
      const excess = this.#size - this.cap;
      this.#truncated = true;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
      }
    }
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks, this.#size);
  }
}
