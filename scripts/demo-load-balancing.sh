#!/usr/bin/env bash
# The design's check of the scheduler, on this machine: an orchestrator and two workers
# `a` and `b`, each in a cgroup of its own and reading its load from it (--metrics
# cgroup). A busy loop runs inside a's cgroup; after the next heartbeat, 20 calls must
# all run on b, the orchestrator saying "Node 'b' selected with lowest cost." for each.
# Once the loop stops, calls spread over both workers again. Exits non-zero when either
# does not happen. Needs root (cgroups) and the Docker engine (scripts/ensure-engine.sh).
#
# Ports: HTTP 18080, gRPC 15051, workers 15052 and 15053 (CARES_LB_BASE_PORT moves
# them all). CARES_EXECUTOR=fake runs the calls without containers.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=lib/cgroups.sh
. scripts/lib/cgroups.sh

base=${CARES_LB_BASE_PORT:-15050}
http_port=$((base + 3030))
grpc_port=$((base + 1))
api="http://127.0.0.1:$http_port"
executor=${CARES_EXECUTOR:-docker}
group=cares-lb-$$
logs=$(mktemp -d)
pids=()

say() { printf '[lb] %s\n' "$*"; }
die() { say "FAILED: $*"; exit 1; }

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  cg_remove "$group/a"
  cg_remove "$group/b"
  cg_remove "$group"
  rm -rf "$logs"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "cgroups need root"
for port in "$http_port" "$grpc_port" $((base + 2)) $((base + 3)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use by another program; set CARES_LB_BASE_PORT to move them all"
  fi
done

# in_cgroup GROUP LOG COMMAND...: runs COMMAND in the background inside GROUP.
in_cgroup() {
  local cg=$1 log=$2
  shift 2
  (cg_join "$cg" "$BASHPID" && exec "$@") >"$log" 2>&1 &
  pids+=($!)
}

wait_for() {
  local what=$1
  shift
  for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what did not happen; logs in $logs"
}

active_nodes() { curl -fsS "$api/nodes" | grep -o '"status":"Active"' | wc -l; }
two_active() { [ "$(active_nodes)" = 2 ]; }

# calls N: invokes the function N times, one after the other; prints each node's name.
calls() {
  local i
  for i in $(seq "$1"); do
    curl -fsS -o /dev/null -D - -X POST "$api/invoke/lb-check" |
      tr -d '\r' | awk -F': ' 'tolower($1) == "x-cares-node" { print $2 }'
  done
}

cg_create "$group/a"
cg_create "$group/b"

node --import tsx packages/orchestrator/src/main.ts --no-tui \
  --http-port "$http_port" --grpc-port "$grpc_port" --data-dir "$logs/data" \
  >"$logs/orchestrator.log" 2>&1 &
pids+=($!)
wait_for "the orchestrator's start" curl -fsS "$api/healthz"

for name in a b; do
  port=$((base + 2 + $([ "$name" = a ] && echo 0 || echo 1)))
  in_cgroup "$group/$name" "$logs/worker-$name.log" \
    node --import tsx packages/worker/src/main.ts --no-tui --name "$name" \
    --orchestrator "127.0.0.1:$grpc_port" --port "$port" --executor "$executor" \
    --metrics cgroup --heartbeat-interval 1000
done
wait_for "both workers' registration" two_active
curl -fsS -X POST "$api/functions" -H 'content-type: application/json' \
  -d '{"name": "lb-check", "image": "cares/hello-world"}' >/dev/null
say "orchestrator and workers a, b running; each worker reads its own cgroup"

say "starting a busy loop in a's cgroup"
in_cgroup "$group/a" /dev/null sh -c 'while true; do true; done'
loop=${pids[-1]}
sleep 2.5 # two heartbeats at 1 s
curl -fsS "$api/nodes" | node -e '
  let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => {
    for (const n of JSON.parse(t).nodes)
      console.log(`[lb]   ${n.name}: cpu ${n.cpuUsage.toFixed(1)}%, cost ${n.cost.toFixed(1)}`);
  });'

before=$(grep -c "Node 'b' selected with lowest cost." "$logs/orchestrator.log" || true)
loaded=$(calls 20 | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
after=$(grep -c "Node 'b' selected with lowest cost." "$logs/orchestrator.log" || true)
say "20 calls with a busy: $loaded"
say "orchestrator said \"Node 'b' selected with lowest cost.\" $((after - before)) times"
[ "$loaded" = "b=20 " ] || die "expected all 20 calls on b"
[ $((after - before)) -eq 20 ] || die "expected 20 selections of b in the log"

say "stopping the busy loop"
kill -KILL "$loop"
wait "$loop" 2>/dev/null || true
sleep 2.5
idle=$(calls 20 | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
say "20 calls with both idle: $idle"
case "$idle" in
  *a=*b=*) ;;
  *) die "expected calls on both a and b once the loop stopped" ;;
esac
say "PASSED"
