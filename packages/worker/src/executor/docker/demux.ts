/** The header Docker puts before each piece of output when the container has no TTY. */
const HEADER_BYTES = 8;
const STDOUT = 1;
const STDERR = 2;

/**
 * Splits the multiplexed stream of a container without a TTY into standard output and
 * standard error. Each frame is an 8-byte header (stream type, three zero bytes, payload
 * length as big-endian uint32) followed by the payload. Frames and headers may arrive
 * cut across chunks.
 */
export class FrameDemuxer {
  #pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onStdout: (chunk: Buffer) => void,
    private readonly onStderr: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= HEADER_BYTES) {
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < HEADER_BYTES + size) break;
      const type = this.#pending[0];
      const payload = this.#pending.subarray(HEADER_BYTES, HEADER_BYTES + size);
      this.#pending = this.#pending.subarray(HEADER_BYTES + size);
      if (type === STDERR) this.onStderr(payload);
      else if (type === STDOUT) this.onStdout(payload);
      // Type 0 (stdin echo) and unknown types carry nothing the caller wants.
    }
  }

  /** Bytes of an unfinished frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}
