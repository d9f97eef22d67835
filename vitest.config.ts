import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    environment: "node",
    // Tests that start real processes, containers or tmux sessions need more than the
    // default five seconds; a hang still fails well within CI's time.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
