// Regenerates generated/cluster.ts from protos/cluster.proto with protoc and ts-proto,
// both from the project's own dependencies.
//
//   node scripts/gen-proto.mjs           write the stubs
//   node scripts/gen-proto.mjs --check   fail when the committed stubs differ
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const target = join(root, "generated", "cluster.ts");
const check = process.argv.includes("--check");

const options = [
  "outputServices=grpc-js",
  "esModuleInterop=true",
  "importSuffix=.js",
  "env=node",
  "useOptionals=none",
  "forceLong=number",
];

const out = mkdtempSync(join(tmpdir(), "cares-gen-"));
try {
  execFileSync(
    bin("protoc"),
    [
      `--plugin=protoc-gen-ts_proto=${bin("protoc-gen-ts_proto")}`,
      `--ts_proto_out=${out}`,
      `--ts_proto_opt=${options.join(",")}`,
      "--proto_path=protos",
      "protos/cluster.proto",
    ],
    { cwd: root, stdio: "inherit" },
  );
  const fresh = readFileSync(join(out, "cluster.ts"), "utf8");
  if (check) {
    const committed = readFileSync(target, "utf8");
    if (committed !== fresh) {
      console.error("generated/cluster.ts differs from protos/cluster.proto: run `pnpm gen`");
      process.exit(1);
    }
    console.log("generated/cluster.ts matches protos/cluster.proto");
  } else {
    writeFileSync(target, fresh);
    console.log("wrote generated/cluster.ts");
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
