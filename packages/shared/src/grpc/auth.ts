import { createHash, timingSafeEqual } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { CaresError } from "../errors.js";

/** The metadata key that carries the join token on every cluster call. */
export const JOIN_TOKEN_KEY = "authorization";

/**
 * Compares two secrets in time that does not depend on where they differ. Both sides
 * are hashed first, so that their lengths do not show either.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** The metadata a caller sends: the join token, when there is one. */
export function tokenMetadata(token: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token) metadata.set(JOIN_TOKEN_KEY, `Bearer ${token}`);
  return metadata;
}

/**
 * Checks the join token a call presents. Returns the `unauthenticated` error to answer
 * with, or undefined when the call may go on (or no token is required).
 */
export function checkCallToken(
  metadata: grpc.Metadata,
  token: string | undefined,
): CaresError | undefined {
  if (!token) return undefined;
  const value = metadata.get(JOIN_TOKEN_KEY)[0];
  const presented =
    typeof value === "string" && value.startsWith("Bearer ") ? value.slice(7) : undefined;
  if (presented !== undefined && secretsEqual(presented, token)) return undefined;
  return new CaresError(
    "unauthenticated",
    presented === undefined
      ? "this cluster needs a join token (CARES_JOIN_TOKEN) and the call had none"
      : "the join token does not match this cluster's (CARES_JOIN_TOKEN)",
  );
}
