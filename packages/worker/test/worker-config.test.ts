import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@cares/shared";
import { loadWorkerConfig, type WorkerConfig } from "../src/config.js";

function configOf(argv: string[], env: Record<string, string> = {}): WorkerConfig {
  const loaded = loadWorkerConfig(argv, env);
  if (!("config" in loaded)) throw new Error("expected a config, got help");
  return loaded.config;
}

function problemsOf(argv: string[], env: Record<string, string> = {}): string[] {
  try {
    loadWorkerConfig(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("loadWorkerConfig", () => {
  it("fills every setting with its default", () => {
    expect(configOf([])).toEqual({
      orchestrator: "localhost:50051",
      host: "127.0.0.1",
      port: 50052,
      advertise: "",
      name: "",
      executor: "docker",
      executorSettings: { socket: "/var/run/docker.sock", warmPool: "1", warmPoolIdleMs: "60000" },
      heartbeatIntervalMs: 2_000,
      capacity: availableParallelism() * 2,
      metrics: "host",
      metricsSettings: { fakeUsage: "0,0" },
      metricsPort: 0,
      security: {},
      drainTimeoutMs: 30_000,
      tui: true,
      logFormat: "plain",
      logLevel: "info",
    });
  });

  it("reads the environment when a flag is absent", () => {
    const config = configOf([], {
      CARES_ORCHESTRATOR: "127.0.0.1:6000",
      CARES_WORKER_HOST: "0.0.0.0",
      CARES_WORKER_PORT: "7001",
      CARES_WORKER_ADVERTISE: "10.0.0.5:7001",
      CARES_WORKER_NAME: "worker-a",
      CARES_DOCKER_SOCKET: "/run/other.sock",
      CARES_HEARTBEAT_INTERVAL_MS: "500",
      CARES_CAPACITY: "3",
      CARES_METRICS: "cgroup",
      CARES_DRAIN_TIMEOUT_MS: "1500",
      CARES_TUI: "0",
      CARES_LOG_FORMAT: "json",
      CARES_LOG_LEVEL: "debug",
    });
    expect(config).toEqual({
      orchestrator: "127.0.0.1:6000",
      host: "0.0.0.0",
      port: 7001,
      advertise: "10.0.0.5:7001",
      name: "worker-a",
      executor: "docker",
      executorSettings: { socket: "/run/other.sock", warmPool: "1", warmPoolIdleMs: "60000" },
      heartbeatIntervalMs: 500,
      capacity: 3,
      metrics: "cgroup",
      metricsSettings: { fakeUsage: "0,0" },
      metricsPort: 0,
      security: {},
      drainTimeoutMs: 1_500,
      tui: false,
      logFormat: "json",
      logLevel: "debug",
    });
  });

  it("treats an empty environment variable as absent", () => {
    expect(configOf([], { CARES_ORCHESTRATOR: "", CARES_WORKER_PORT: "" })).toMatchObject({
      orchestrator: "localhost:50051",
      port: 50052,
    });
  });

  it("lets flags win over the environment", () => {
    const config = configOf(
      ["--orchestrator", "127.0.0.1:7000", "--port=0", "--name", "flag-name", "--no-tui"],
      {
        CARES_ORCHESTRATOR: "127.0.0.1:6000",
        CARES_WORKER_PORT: "7001",
        CARES_WORKER_NAME: "env-name",
        CARES_TUI: "true",
      },
    );
    expect(config).toMatchObject({
      orchestrator: "127.0.0.1:7000",
      port: 0,
      name: "flag-name",
      tui: false,
    });
  });

  it("rejects an --orchestrator that is not host:port", () => {
    expect(problemsOf(["--orchestrator", "localhost"])).toEqual([
      "--orchestrator must be host:port (got 'localhost')",
    ]);
    expect(problemsOf(["--orchestrator", "http://h:1"])).toHaveLength(1);
    expect(problemsOf([], { CARES_ORCHESTRATOR: "h:port" })).toHaveLength(1);
  });

  it("rejects an --orchestrator whose port is past 65535", () => {
    expect(problemsOf(["--orchestrator", "localhost:99999"])).toHaveLength(1);
  });

  it("rejects an --advertise that is not host:port, and accepts one that is", () => {
    expect(problemsOf(["--advertise", "nowhere"])).toEqual([
      "--advertise must be host:port (got 'nowhere')",
    ]);
    expect(configOf(["--advertise", "127.0.0.1:9000"]).advertise).toBe("127.0.0.1:9000");
  });

  it("rejects a --name that is not a DNS label", () => {
    const problems = problemsOf(["--name", "Worker_1"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^--name may hold only lower-case letters/);
    expect(problemsOf(["--name", "a".repeat(64)])[0]).toMatch(/^--name must be at most 63/);
  });

  it("lists every bad value at once", () => {
    expect(problemsOf(["--orchestrator", "x", "--name", "-bad-"])).toHaveLength(2);
  });

  it("offers docker and fake as executors, each with its own settings", () => {
    expect(configOf(["--executor", "docker", "--docker-socket", "/s.sock"])).toMatchObject({
      executor: "docker",
      executorSettings: { socket: "/s.sock" },
    });
    expect(configOf(["--executor", "fake", "--fake-rules", "/r.json"])).toMatchObject({
      executor: "fake",
      executorSettings: { rules: "/r.json" },
    });
    expect(configOf([], { CARES_EXECUTOR: "fake" }).executorSettings).toEqual({ rules: "" });
  });

  it("rejects an executor that is not one of the choices", () => {
    expect(problemsOf(["--executor", "podman"])).toEqual([
      "--executor must be one of docker, fake (got 'podman')",
    ]);
  });

  it("bounds the heartbeat interval", () => {
    expect(problemsOf(["--heartbeat-interval", "50"])[0]).toMatch(
      /^--heartbeat-interval must be a whole number from 100 to 60000/,
    );
    expect(configOf(["--heartbeat-interval", "100"]).heartbeatIntervalMs).toBe(100);
  });

  it("rejects unknown flags and bad log settings", () => {
    expect(problemsOf(["--colour"])).toEqual(["unknown option '--colour' (see --help)"]);
    expect(problemsOf(["--log-level", "loud"])).toHaveLength(1);
    expect(problemsOf(["--log-format", "xml"])).toHaveLength(1);
  });

  it("returns the help text for --help, naming every flag and its variable", () => {
    const loaded = loadWorkerConfig(["--help", "--orchestrator", "bad"], {});
    expect("help" in loaded).toBe(true);
    const help = (loaded as { help: string }).help;
    expect(help).toMatch(/^Usage: /);
    for (const text of [
      "--orchestrator <string>",
      "CARES_ORCHESTRATOR",
      "--executor <string>",
      "(docker|fake)",
      "--docker-socket",
      "--fake-rules",
      "--heartbeat-interval <int>",
      "--[no-]tui",
      "--help",
    ]) {
      expect(help).toContain(text);
    }
    expect("help" in loadWorkerConfig(["-h"], {})).toBe(true);
  });
});
