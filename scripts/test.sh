#!/usr/bin/env bash
# Runs every check and test of CARES, after installing and starting what they need:
# pnpm and the dependencies, the Docker engine and the sample images.
#
#   npm test                      everything
#   npm test -- packages/worker   only the test files under that path
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/bootstrap.sh
bash scripts/ensure-engine.sh

echo "== generated stubs"
pnpm --silent gen:check
echo "== types"
pnpm --silent typecheck
echo "== formatting"
pnpm --silent format:check >/dev/null || { pnpm --silent format:check; exit 1; }

# CARES containers already on the engine (a running demo's, say) are not the tests' own.
cares_containers() { docker ps -aq --no-trunc --filter label=org.cares.managed=true | sort; }
before=$(mktemp)
trap 'rm -f "$before"' EXIT
cares_containers >"$before"

echo "== tests"
mkdir -p .cares
results=.cares/test-results.json
rm -f "$results"
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" ||
  status=$?

# Whatever the tests did, no container of CARES they made may outlive them.
leftovers=$(cares_containers | comm -13 "$before" -)
if [ -n "$leftovers" ]; then
  echo "error: containers labelled org.cares.managed=true remain after the tests:" >&2
  # shellcheck disable=SC2086
  format='{{.Id}} {{.Config.Image}} worker={{index .Config.Labels "org.cares.worker"}}'
  docker inspect --format "$format {{.State.Status}}" $leftovers >&2
  # shellcheck disable=SC2086
  docker rm -f $leftovers >/dev/null 2>&1 || true
  status=1
fi

# One closing line that any CI can read, whatever the runner printed above.
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$root/$results"
fi
exit "$status"
