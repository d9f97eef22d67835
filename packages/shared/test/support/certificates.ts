// Makes a throw-away certificate authority and certificates with openssl, for tests of
// TLS. Nothing here is ever committed: every file lives in a fresh temporary folder.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificates {
  dir: string;
  caFile: string;
  /** A certificate for 127.0.0.1 and localhost, good for servers and clients alike. */
  certFile: string;
  keyFile: string;
  /** The same, signed by another authority that the CA above does not know. */
  strangerCertFile: string;
  strangerKeyFile: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

function makeAuthority(dir: string, name: string): void {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
  ]);
}

function makeLeaf(dir: string, authority: string, name: string): void {
  writeFileSync(
    join(dir, `${name}.ext`),
    [
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "extendedKeyUsage=serverAuth,clientAuth",
      "basicConstraints=CA:FALSE",
    ].join("\n"),
  );
  openssl(dir, [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    "/CN=localhost",
  ]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${authority}.crt`,
    "-CAkey",
    `${authority}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "1",
    "-extfile",
    `${name}.ext`,
  ]);
}

/** Creates the authorities and certificates in a new temporary folder. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "cares-tls-"));
  makeAuthority(dir, "ca");
  makeAuthority(dir, "other-ca");
  makeLeaf(dir, "ca", "node");
  makeLeaf(dir, "other-ca", "stranger");
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    certFile: join(dir, "node.crt"),
    keyFile: join(dir, "node.key"),
    strangerCertFile: join(dir, "stranger.crt"),
    strangerKeyFile: join(dir, "stranger.key"),
  };
}
