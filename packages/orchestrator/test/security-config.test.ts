// The settings for state, limits, tokens and TLS: flag, then variable, then default.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@cares/shared";
import { describe, expect, it } from "vitest";
import { loadOrchestratorConfig, type OrchestratorConfig } from "../src/config.js";
import { loadWorkerConfig } from "../../worker/src/config.js";

function orchestrator(argv: string[], env: Record<string, string> = {}): OrchestratorConfig {
  const loaded = loadOrchestratorConfig(argv, env);
  if ("help" in loaded) throw new Error("unexpected help");
  return loaded.config;
}

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

function secretFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "cares-secret-")), "token");
  writeFileSync(file, text);
  return file;
}

describe("the orchestrator's data folder", () => {
  it("defaults to .cares/data under the folder pnpm was started from", () => {
    expect(orchestrator([], { INIT_CWD: "/home/me/cares" }).dataDir).toBe(
      "/home/me/cares/.cares/data",
    );
    expect(orchestrator([]).dataDir).toBe(join(process.cwd(), ".cares/data"));
  });

  it("takes --data-dir over CARES_DATA_DIR, relative to the same folder", () => {
    const env = { INIT_CWD: "/srv", CARES_DATA_DIR: "/var/lib/cares" };
    expect(orchestrator([], env).dataDir).toBe("/var/lib/cares");
    expect(orchestrator(["--data-dir", "state"], env).dataDir).toBe("/srv/state");
  });

  it("reads history bounds and waits as durations", () => {
    const config = orchestrator(["--history-max-age", "24h", "--history-max-count", "50"], {
      CARES_ASYNC_WAIT: "90s",
    });
    expect(config).toMatchObject({
      historyMaxAgeMs: 86_400_000,
      historyMaxCount: 50,
      asyncWaitMs: 90_000,
    });
    expect(problems(() => orchestrator(["--history-max-age", "a week"]))).toEqual([
      "--history-max-age must be a duration such as 90s, 30m or 24h (got 'a week')",
    ]);
  });
});

describe("tokens", () => {
  it("come from CARES_API_TOKEN and CARES_JOIN_TOKEN, or from files named by flags", () => {
    const env = { CARES_API_TOKEN: " api ", CARES_JOIN_TOKEN: "join\n" };
    expect(orchestrator([], env)).toMatchObject({
      apiToken: "api",
      security: { joinToken: "join" },
    });
    const fromFiles = orchestrator(
      ["--api-token-file", secretFile("file-api\n"), "--join-token-file", secretFile("fj")],
      env,
    );
    expect(fromFiles).toMatchObject({ apiToken: "file-api", security: { joinToken: "fj" } });
  });

  it("are off when unset", () => {
    expect(orchestrator([])).toMatchObject({ apiToken: "", security: {} });
  });

  it("say which file cannot be read or is empty", () => {
    const found = problems(() =>
      orchestrator(["--api-token-file", "/nonexistent", "--join-token-file", secretFile(" ")]),
    );
    expect(found[0]).toMatch(/^--api-token-file: cannot read \/nonexistent/);
    expect(found[1]).toMatch(/^--join-token-file names an empty file/);
  });
});

describe("TLS flags", () => {
  it("make a TLS setting on both programs", () => {
    const argv = ["--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-ca", "ca.pem"];
    const tls = { certFile: "c.pem", keyFile: "k.pem", caFile: "ca.pem" };
    expect(orchestrator(argv).security).toEqual({ tls });
    const worker = loadWorkerConfig(argv, { CARES_JOIN_TOKEN: "j" });
    expect("config" in worker && worker.config.security).toEqual({ joinToken: "j", tls });
  });

  it("refuse a certificate without its key, or an authority alone", () => {
    expect(problems(() => orchestrator(["--tls-cert", "c.pem"]))).toEqual([
      "--tls-cert and --tls-key go together: give both or neither",
    ]);
    expect(problems(() => loadWorkerConfig(["--tls-ca", "ca.pem"], {}))).toEqual([
      "--tls-ca needs --tls-cert and --tls-key too",
    ]);
  });
});

describe("the worker's metrics port", () => {
  it("is a free one by default, any port by flag or variable, or none with -1", () => {
    const port = (argv: string[], env: Record<string, string> = {}) => {
      const loaded = loadWorkerConfig(argv, env);
      return "config" in loaded ? loaded.config.metricsPort : undefined;
    };
    expect(port([])).toBe(0);
    expect(port([], { CARES_WORKER_METRICS_PORT: "9464" })).toBe(9464);
    expect(port(["--metrics-port", "-1"])).toBe(-1);
  });
});
