#!/usr/bin/env bash
# Brings up a CARES cluster on this machine (one orchestrator, one worker on the Docker
# engine), registers `my-test-func` for the cares/hello-world image and invokes it.
# The cluster keeps running afterwards; `npm run demo:stop` stops it.
#
#   scripts/demo.sh          start (or restart) the cluster and invoke the function
#   scripts/demo.sh stop     stop the cluster
#
# Ports: HTTP 8080, gRPC 50051, worker 50052 (CARES_HTTP_PORT, CARES_GRPC_PORT and
# CARES_WORKER_PORT change them). The orchestrator keeps its database in .cares/demo/data.
# With CARES_API_TOKEN set, the API asks for it and the demo passes it; with
# CARES_JOIN_TOKEN set, only a worker that has it may join (the demo's worker does).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
state=.cares/demo
http_port=${CARES_HTTP_PORT:-8080}
grpc_port=${CARES_GRPC_PORT:-50051}
worker_port=${CARES_WORKER_PORT:-50052}
api="http://127.0.0.1:$http_port"

say() { printf '[demo] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

stop_cluster() {
  local name pid
  for name in worker orchestrator; do
    [ -f "$state/$name.pid" ] || continue
    pid=$(cat "$state/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      say "stopped the $name (pid $pid)"
    fi
    rm -f "$state/$name.pid"
  done
}

# start NAME ARGS...: runs a CARES program in the background, its log under $state.
start() {
  local name=$1
  shift
  setsid nohup node --import tsx "packages/$name/src/main.ts" --no-tui "$@" \
    >"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
}

# wait_for NAME COMMAND...: retries COMMAND for up to 30 s while the program NAME runs.
wait_for() {
  local name=$1 pid
  shift
  pid=$(cat "$state/$name.pid")
  for _ in $(seq 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      sed 's/^/  /' "$state/$name.log" >&2
      die "the $name stopped at start (above, from $state/$name.log)"
    fi
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "the $name did not come up within 30 s; see $state/$name.log"
}

# port_free PORT: true when nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The API token, when there is one, goes with every request.
auth=()
if [ -n "${CARES_API_TOKEN:-}" ]; then auth=(-H "Authorization: Bearer $CARES_API_TOKEN"); fi
# api_curl ARGS...: curl with the API token.
api_curl() { curl ${auth[@]+"${auth[@]}"} "$@"; }

node_active() { api_curl -fsS "$api/nodes" | grep -q '"status":"Active"'; }

if [ "${1:-}" = stop ]; then
  stop_cluster
  exit 0
fi

bash scripts/bootstrap.sh
bash scripts/ensure-engine.sh
mkdir -p "$state"
# A demo already running on these ports is the one to replace; on other ports it keeps
# running unless this one can start.
ports="$http_port $grpc_port $worker_port"
if [ "$(cat "$state/ports" 2>/dev/null || true)" = "$ports" ]; then stop_cluster; fi
for port in $ports; do
  port_free "$port" ||
    die "port $port is in use by another program; stop it or set" \
      "CARES_HTTP_PORT, CARES_GRPC_PORT or CARES_WORKER_PORT"
done
stop_cluster
echo "$ports" >"$state/ports"

say "starting the orchestrator (HTTP $http_port, gRPC $grpc_port)"
start orchestrator --http-port "$http_port" --grpc-port "$grpc_port" --data-dir "$state/data"
wait_for orchestrator curl -fsS "$api/healthz"

say "starting a worker (port $worker_port, docker executor)"
start worker --orchestrator "127.0.0.1:$grpc_port" --port "$worker_port" --name worker-1
wait_for worker node_active

say "registering my-test-func -> cares/hello-world"
# The database keeps functions across restarts: a second run finds it registered.
api_curl -fsS -o /dev/null "$api/functions/my-test-func" 2>/dev/null ||
  api_curl -fsS -X POST "$api/functions" -H 'content-type: application/json' \
    -d '{"name": "my-test-func", "image": "cares/hello-world"}' >/dev/null

# How to pass the token, by name: the token itself is not printed.
pass_token=""
if [ ${#auth[@]} -gt 0 ]; then pass_token=' -H "Authorization: Bearer $CARES_API_TOKEN"'; fi

echo
echo "\$ curl$pass_token -X POST http://localhost:$http_port/invoke/my-test-func"
api_curl -sS -X POST "http://localhost:$http_port/invoke/my-test-func"
echo
echo "What the orchestrator said:"
grep -F -e "Received invocation" -e "Selecting optimal" -e "selected with lowest" \
  -e "Dispatching job" -e "Job complete" "$state/orchestrator.log" | tail -n 5 | sed 's/^/  /'
echo "What the worker said:"
grep -F -e "Received execution request" -e "Starting container" -e "Container finished" \
  "$state/worker.log" | tail -n 3 | sed 's/^/  /'
echo
echo "The cluster keeps running (logs in $state/, database in $state/data). Try:"
echo "  curl$pass_token -X POST http://localhost:$http_port/invoke/my-test-func"
echo "  curl$pass_token -X POST 'http://localhost:$http_port/invoke/my-test-func?async=true'"
echo "  curl$pass_token http://localhost:$http_port/invocations"
echo "  curl$pass_token http://localhost:$http_port/nodes"
echo "  curl$pass_token http://localhost:$http_port/metrics"
if [ -n "$pass_token" ]; then
  echo "The API asks for its token: pass it as above, with CARES_API_TOKEN set in your shell."
fi
echo "Stop it with: npm run demo:stop"
