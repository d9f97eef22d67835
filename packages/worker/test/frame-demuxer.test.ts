import { describe, expect, it } from "vitest";
import { FrameDemuxer } from "../src/executor/docker/demux.js";

/** One frame of Docker's multiplexed stream: type, three zero bytes, big-endian length. */
function frame(type: number, payload: string | Buffer): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** A demuxer whose two streams are collected, chunk by chunk. */
function collecting() {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const demux = new FrameDemuxer(
    (chunk) => stdout.push(Buffer.from(chunk)),
    (chunk) => stderr.push(Buffer.from(chunk)),
  );
  return {
    demux,
    stdout: () => Buffer.concat(stdout).toString("utf8"),
    stderr: () => Buffer.concat(stderr).toString("utf8"),
    stdoutChunks: stdout,
    stderrChunks: stderr,
  };
}

const STREAM = Buffer.concat([
  frame(1, "out one\n"),
  frame(2, "err one\n"),
  frame(1, "héllo 日本 🚀\n"),
  frame(0, "stdin echo"),
  frame(2, ""),
  frame(1, "out two\n"),
]);

describe("FrameDemuxer", () => {
  it("splits one whole chunk into standard output and standard error", () => {
    const c = collecting();
    c.demux.push(STREAM);
    expect(c.stdout()).toBe("out one\nhéllo 日本 🚀\nout two\n");
    expect(c.stderr()).toBe("err one\n");
    expect(c.demux.pendingBytes).toBe(0);
  });

  it("gives the same result when the stream is cut in two at every byte boundary", () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const c = collecting();
      c.demux.push(STREAM.subarray(0, cut));
      c.demux.push(STREAM.subarray(cut));
      expect([cut, c.stdout(), c.stderr()]).toEqual([
        cut,
        "out one\nhéllo 日本 🚀\nout two\n",
        "err one\n",
      ]);
      expect(c.demux.pendingBytes).toBe(0);
    }
  });

  it("gives the same result when the stream is cut in three at every pair of boundaries", () => {
    for (let first = 0; first <= STREAM.length; first++) {
      for (let second = first; second <= STREAM.length; second++) {
        const c = collecting();
        c.demux.push(STREAM.subarray(0, first));
        c.demux.push(STREAM.subarray(first, second));
        c.demux.push(STREAM.subarray(second));
        if (c.stdout() !== "out one\nhéllo 日本 🚀\nout two\n" || c.stderr() !== "err one\n") {
          expect.fail(`wrong output when cut at ${first} and ${second}`);
        }
      }
    }
  });

  it("gives the same result when the stream arrives one byte at a time", () => {
    const c = collecting();
    for (const byte of STREAM) c.demux.push(Buffer.from([byte]));
    expect(c.stdout()).toBe("out one\nhéllo 日本 🚀\nout two\n");
    expect(c.stderr()).toBe("err one\n");
    expect(c.demux.pendingBytes).toBe(0);
  });

  it("waits for the rest of a header split across chunks", () => {
    const c = collecting();
    const whole = frame(1, "abc");
    c.demux.push(whole.subarray(0, 5));
    expect(c.stdoutChunks).toEqual([]);
    expect(c.demux.pendingBytes).toBe(5);
    c.demux.push(whole.subarray(5, 8));
    expect(c.stdoutChunks).toEqual([]);
    expect(c.demux.pendingBytes).toBe(8);
    c.demux.push(whole.subarray(8));
    expect(c.stdout()).toBe("abc");
    expect(c.demux.pendingBytes).toBe(0);
  });

  it("holds back a payload until all of it has arrived", () => {
    const c = collecting();
    const whole = frame(2, "0123456789");
    c.demux.push(whole.subarray(0, 12));
    expect(c.stderrChunks).toEqual([]);
    expect(c.demux.pendingBytes).toBe(12);
    c.demux.push(whole.subarray(12));
    expect(c.stderr()).toBe("0123456789");
  });

  it("keeps stdout and stderr apart when they are interleaved, in their own order", () => {
    const c = collecting();
    const frames: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      frames.push(frame(i % 3 === 0 ? 2 : 1, `${i % 3 === 0 ? "e" : "o"}${i};`));
    }
    c.demux.push(Buffer.concat(frames));
    const expectedOut = [...Array(50).keys()].filter((i) => i % 3 !== 0).map((i) => `o${i};`);
    const expectedErr = [...Array(50).keys()].filter((i) => i % 3 === 0).map((i) => `e${i};`);
    expect(c.stdout()).toBe(expectedOut.join(""));
    expect(c.stderr()).toBe(expectedErr.join(""));
  });

  it("treats zero-length frames as nothing, whatever follows them", () => {
    const c = collecting();
    c.demux.push(Buffer.concat([frame(1, ""), frame(2, ""), frame(1, ""), frame(1, "x")]));
    c.demux.push(frame(2, ""));
    expect(c.stdout()).toBe("x");
    expect(c.stderr()).toBe("");
    expect(c.demux.pendingBytes).toBe(0);
  });

  it("treats a lone zero-length header as a complete frame", () => {
    const c = collecting();
    c.demux.push(frame(1, ""));
    expect(c.demux.pendingBytes).toBe(0);
    expect(c.stdout()).toBe("");
  });

  it("ignores stdin-type frames and frames of unknown type", () => {
    const c = collecting();
    c.demux.push(
      Buffer.concat([
        frame(0, "typed by the user"),
        frame(1, "a"),
        frame(7, "junk"),
        frame(2, "b"),
      ]),
    );
    expect(c.stdout()).toBe("a");
    expect(c.stderr()).toBe("b");
    expect(c.demux.pendingBytes).toBe(0);
  });

  it("carries binary payloads, including ones that look like headers, byte for byte", () => {
    const c = collecting();
    const tricky = Buffer.concat([frame(2, "not a real frame"), Buffer.from([0, 255, 1, 2])]);
    c.demux.push(frame(1, tricky));
    expect(Buffer.concat(c.stdoutChunks).equals(tricky)).toBe(true);
    expect(c.stderrChunks).toEqual([]);
  });

  it("reads a payload longer than 64 KiB, whose length needs all four length bytes", () => {
    const c = collecting();
    const big = Buffer.alloc(70_000 + 256 * 256 * 3, 0x61);
    const whole = frame(1, big);
    for (let i = 0; i < whole.length; i += 4096) c.demux.push(whole.subarray(i, i + 4096));
    expect(Buffer.concat(c.stdoutChunks).equals(big)).toBe(true);
    expect(c.demux.pendingBytes).toBe(0);
  });
});
