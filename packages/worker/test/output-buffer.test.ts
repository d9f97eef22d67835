import { describe, expect, it } from "vitest";
import { OutputBuffer } from "../src/executor/docker/output-buffer.js";

const text = (buffer: OutputBuffer) => buffer.toBuffer().toString("utf8");

describe("OutputBuffer in head mode", () => {
  it("is head mode by default and keeps everything under the cap", () => {
    const buffer = new OutputBuffer(100);
    buffer.push(Buffer.from("hello "));
    buffer.push(Buffer.from("world"));
    expect(text(buffer)).toBe("hello world");
    expect(buffer.truncated).toBe(false);
  });

  it("keeps exactly the cap without calling it truncated", () => {
    const buffer = new OutputBuffer(10, "head");
    buffer.push(Buffer.from("01234"));
    buffer.push(Buffer.from("56789"));
    expect(text(buffer)).toBe("0123456789");
    expect(buffer.truncated).toBe(false);
    buffer.push(Buffer.alloc(0));
    expect(buffer.truncated).toBe(false);
  });

  it("keeps the first bytes and flags truncation once one byte more arrives", () => {
    const buffer = new OutputBuffer(10, "head");
    buffer.push(Buffer.from("0123456789"));
    buffer.push(Buffer.from("X"));
    expect(text(buffer)).toBe("0123456789");
    expect(buffer.truncated).toBe(true);
  });

  it("cuts a chunk that straddles the cap", () => {
    const buffer = new OutputBuffer(8, "head");
    buffer.push(Buffer.from("abcde"));
    buffer.push(Buffer.from("fghijk"));
    buffer.push(Buffer.from("more"));
    expect(text(buffer)).toBe("abcdefgh");
    expect(buffer.toBuffer().length).toBe(8);
    expect(buffer.truncated).toBe(true);
  });

  it("copies what it keeps, so a reused chunk does not change it", () => {
    const buffer = new OutputBuffer(10, "head");
    const chunk = Buffer.from("abc");
    buffer.push(chunk);
    chunk.write("xyz");
    expect(text(buffer)).toBe("abc");
  });

  it("keeps nothing with a cap of 0 and says so", () => {
    const buffer = new OutputBuffer(0, "head");
    buffer.push(Buffer.from("a"));
    expect(buffer.toBuffer().length).toBe(0);
    expect(buffer.truncated).toBe(true);
  });
});

describe("OutputBuffer in tail mode", () => {
  it("keeps everything under the cap", () => {
    const buffer = new OutputBuffer(100, "tail");
    buffer.push(Buffer.from("warning: "));
    buffer.push(Buffer.from("disk full"));
    expect(text(buffer)).toBe("warning: disk full");
    expect(buffer.truncated).toBe(false);
  });

  it("keeps exactly the cap without calling it truncated", () => {
    const buffer = new OutputBuffer(10, "tail");
    buffer.push(Buffer.from("0123"));
    buffer.push(Buffer.from("456789"));
    expect(text(buffer)).toBe("0123456789");
    expect(buffer.truncated).toBe(false);
  });

  it("keeps the last bytes, dropping whole chunks and cutting the oldest kept one", () => {
    const buffer = new OutputBuffer(10, "tail");
    buffer.push(Buffer.from("aaaa"));
    buffer.push(Buffer.from("bbbb"));
    buffer.push(Buffer.from("cccc"));
    buffer.push(Buffer.from("dd"));
    expect(text(buffer)).toBe("bbbbccccdd");
    buffer.push(Buffer.from("e"));
    expect(text(buffer)).toBe("bbbccccdde");
    expect(buffer.toBuffer().length).toBe(10);
    expect(buffer.truncated).toBe(true);
  });

  it("keeps the end of one chunk larger than the cap", () => {
    const buffer = new OutputBuffer(5, "tail");
    buffer.push(Buffer.from("0123456789"));
    expect(text(buffer)).toBe("56789");
    expect(buffer.truncated).toBe(true);
  });

  it("copies what it keeps, so a reused chunk does not change it", () => {
    const buffer = new OutputBuffer(10, "tail");
    const chunk = Buffer.from("abc");
    buffer.push(chunk);
    chunk.write("xyz");
    expect(text(buffer)).toBe("abc");
  });

  it("keeps the last cap bytes of many small chunks", () => {
    const buffer = new OutputBuffer(1000, "tail");
    let all = "";
    for (let i = 0; i < 2000; i++) {
      const piece = `${i},`;
      all += piece;
      buffer.push(Buffer.from(piece));
    }
    expect(text(buffer)).toBe(all.slice(-1000));
    expect(buffer.truncated).toBe(true);
  });
});
