import { readFileSync } from "node:fs";
import type { ClusterSecurity } from "../grpc/tls.js";

/** The settings every CARES program shares for its gRPC side: TLS files and the join token. */
export const CLUSTER_SECURITY_OPTIONS = {
  tlsCert: {
    flag: "tls-cert",
    env: "CARES_TLS_CERT",
    kind: "string",
    default: "",
    description: "PEM certificate for TLS on gRPC (with --tls-key); plain text without",
  },
  tlsKey: {
    flag: "tls-key",
    env: "CARES_TLS_KEY",
    kind: "string",
    default: "",
    description: "PEM private key of --tls-cert",
  },
  tlsCa: {
    flag: "tls-ca",
    env: "CARES_TLS_CA",
    kind: "string",
    default: "",
    description: "PEM authority that signs the other side's certificate (mutual TLS)",
  },
  joinTokenFile: {
    flag: "join-token-file",
    env: "CARES_JOIN_TOKEN_FILE",
    kind: "string",
    default: "",
    description: "file holding the cluster's join token (else CARES_JOIN_TOKEN)",
  },
} as const;

/**
 * Reads a secret from `file` when one is named, else from the variable's value.
 * Surrounding white space is dropped. Adds to `problems` when the file cannot be read.
 */
export function readSecret(
  file: string,
  fromEnv: string | undefined,
  flag: string,
  problems: string[],
): string {
  if (!file) return fromEnv?.trim() ?? "";
  try {
    const secret = readFileSync(file, "utf8").trim();
    if (!secret) problems.push(`--${flag} names an empty file (${file})`);
    return secret;
  } catch (error) {
    problems.push(`--${flag}: cannot read ${file} (${(error as Error).message})`);
    return "";
  }
}

/** The gRPC security from the values of CLUSTER_SECURITY_OPTIONS and the environment. */
export function resolveClusterSecurity(
  values: { tlsCert: string; tlsKey: string; tlsCa: string; joinTokenFile: string },
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): ClusterSecurity {
  const joinToken = readSecret(
    values.joinTokenFile,
    env.CARES_JOIN_TOKEN,
    "join-token-file",
    problems,
  );
  const security: ClusterSecurity = joinToken ? { joinToken } : {};
  if (Boolean(values.tlsCert) !== Boolean(values.tlsKey)) {
    problems.push("--tls-cert and --tls-key go together: give both or neither");
  } else if (values.tlsCa && !values.tlsCert) {
    problems.push("--tls-ca needs --tls-cert and --tls-key too");
  } else if (values.tlsCert) {
    security.tls = {
      certFile: values.tlsCert,
      keyFile: values.tlsKey,
      ...(values.tlsCa ? { caFile: values.tlsCa } : {}),
    };
  }
  return security;
}
