// Draws an orchestrator's TUI from its event stream alone, read-only:
// `pnpm --filter orchestrator watch -- --url ws://HOST:8080/events`.
import { ConfigError, Logger, parseCommandLine, silentSink } from "@cares/shared";
import { readFileSync } from "node:fs";
import { EventClient } from "./events/event-client.js";
import { ClusterTui } from "./tui/cluster-tui.js";

const WATCH_OPTIONS = {
  url: {
    flag: "url",
    env: "CARES_EVENTS_URL",
    kind: "string",
    default: "ws://127.0.0.1:8080/events",
    description: "the orchestrator's event stream",
  },
  tokenFile: {
    flag: "api-token-file",
    env: "CARES_API_TOKEN_FILE",
    kind: "string",
    default: "",
    description: "file holding the API token (else CARES_API_TOKEN, when set)",
  },
} as const;

function main(): void {
  let parsed;
  try {
    parsed = parseCommandLine(
      "pnpm --filter orchestrator watch -- [options]",
      WATCH_OPTIONS,
      process.argv.slice(2),
      process.env,
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`watch: ${problem}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(`${parsed.text}\n`);
    return;
  }
  const { url, tokenFile } = parsed.values;
  let token = process.env.CARES_API_TOKEN ?? "";
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (error) {
      process.stderr.write(`watch: cannot read --api-token-file: ${(error as Error).message}\n`);
      process.exit(2);
    }
  }
  if (!/^wss?:\/\//.test(url)) {
    process.stderr.write(`watch: --url must start with ws:// or wss:// (got '${url}')\n`);
    process.exit(2);
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    process.stderr.write("watch: needs a terminal to draw in\n");
    process.exit(2);
  }

  let client: EventClient | undefined;
  const tui = new ClusterTui({
    stdout: process.stdout,
    stdin: process.stdin,
    color: process.stdout.hasColors?.() ?? false,
    mode: "watch",
    source: url,
    log: new Logger(silentSink),
    onQuit: () => {
      client?.close();
      tui.stop();
      process.exit(0);
    },
  });
  process.on("exit", () => tui.stop());
  tui.start();
  client = new EventClient({
    url,
    token,
    onEvent: (event) => tui.apply(event),
    onConnection: (state) => tui.setConnection(state),
  });
  client.start();
}

main();
