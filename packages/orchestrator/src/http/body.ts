import { CaresError } from "@cares/shared";

/**
 * Reads a request body, refusing it with `payload_too_large` as soon as it passes
 * `limit` bytes, so an oversized body is never held in memory whole.
 */
export async function readBodyLimited(request: Request, limit: number): Promise<Buffer> {
  const tooLarge = () =>
    new CaresError("payload_too_large", `the request body is larger than ${limit} bytes`, {
      details: { limit },
    });
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);

  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Reads a JSON object body; a body that is not one gets `invalid_json`. */
export async function readJsonObject(
  request: Request,
  limit: number,
): Promise<Record<string, unknown>> {
  const raw = await readBodyLimited(request, limit);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new CaresError("invalid_json", `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CaresError("invalid_json", "the body must be a JSON object");
  }
  return value as Record<string, unknown>;
}
