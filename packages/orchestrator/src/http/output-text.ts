const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A function's output as JSON text: as it is when it is UTF-8 text, else base64. Output
 * with control characters other than tab, newline and carriage return counts as binary:
 * JSON would escape each of them in six characters, and base64 takes less than two.
 */
export function outputAsText(bytes: Buffer): { output: string; outputEncoding: "utf8" | "base64" } {
  const binary = bytes.some(
    (byte) => (byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 13) || byte === 0x7f,
  );
  if (!binary) {
    try {
      return { output: utf8.decode(bytes), outputEncoding: "utf8" };
    } catch {
      // Not UTF-8: base64 below.
    }
  }
  return { output: bytes.toString("base64"), outputEncoding: "base64" };
}
