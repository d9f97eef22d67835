import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { CaresError } from "../errors.js";

/** Paths of PEM files for TLS on the cluster's gRPC connections. */
export interface TlsFiles {
  /** This side's certificate (chain). */
  certFile: string;
  /** This side's private key. */
  keyFile: string;
  /**
   * The authority that signs the other sides' certificates. When set, a server asks
   * every caller for a certificate it signed, and a client trusts only servers it
   * signed; without it, clients trust the system's authorities and servers ask for none.
   */
  caFile?: string;
}

/** How one side of the cluster protects its gRPC calls: a join token, TLS, both, none. */
export interface ClusterSecurity {
  /** The shared secret every call must carry; empty or absent turns the check off. */
  joinToken?: string;
  tls?: TlsFiles;
}

interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | null;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CaresError("invalid_config", `cannot read the TLS ${what} at ${path}`, {
      cause: error,
    });
  }
}

function loadTls(files: TlsFiles): TlsMaterial {
  return {
    cert: readPem(files.certFile, "certificate"),
    key: readPem(files.keyFile, "key"),
    ca: files.caFile ? readPem(files.caFile, "CA certificate") : null,
  };
}

/** The credentials a gRPC server listens with: TLS when files are given, else plain. */
export function serverCredentials(tls: TlsFiles | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const { cert, key, ca } = loadTls(tls);
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ private_key: key, cert_chain: cert }],
    ca !== null,
  );
}

/** The credentials a gRPC channel connects with: TLS when files are given, else plain. */
export function channelCredentials(tls: TlsFiles | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const { cert, key, ca } = loadTls(tls);
  return grpc.credentials.createSsl(ca, key, cert);
}
