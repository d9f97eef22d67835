#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine and that the sample function images
# exist. Safe to run any number of times: each step is skipped when already done.
#
#   scripts/ensure-engine.sh            engine + sample images
#   scripts/ensure-engine.sh --engine   engine only
#
# Environment:
#   CARES_INSTALL_ENGINE=0   never install packages; fail instead when the engine is missing
#   CARES_DOCKERD_LOG        where dockerd writes its log (default /var/log/cares-dockerd.log)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log_file=${CARES_DOCKERD_LOG:-/var/log/cares-dockerd.log}
pid_file=/var/run/cares-dockerd.pid

say() { printf '[engine] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }

can_install() {
  [ "${CARES_INSTALL_ENGINE:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null
}

apt_install() {
  can_install || die "missing $*; install it (Debian: apt-get install $*) or run as root"
  say "installing $* from the distribution's packages"
  # An old package list may name versions the mirror no longer has: refresh it first.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# A daemon killed without warning leaves its pid files behind; dockerd and its
# containerd refuse to start while those name a process that no longer runs.
clear_stale_pid_files() {
  local f pid
  for f in "$pid_file" /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$f"
    fi
  done
}

start_dockerd() {
  command -v dockerd >/dev/null || apt_install docker.io
  command -v docker >/dev/null || apt_install docker.io
  [ "$(id -u)" = 0 ] || die "the Docker engine is not running and only root can start dockerd"

  clear_stale_pid_files
  if [ -f "$pid_file" ]; then
    say "dockerd (pid $(cat "$pid_file")) is starting; waiting for it"
  else
    say "starting dockerd (log: $log_file)"
    mkdir -p "$(dirname "$log_file")"
    # No default bridge and no iptables rules: function containers run with networking
    # off unless a function asks for it, and this host's firewall is left alone.
    setsid nohup dockerd \
      --bridge=none --iptables=false --ip6tables=false \
      --pidfile "$pid_file" >>"$log_file" 2>&1 </dev/null &
  fi

  local waited=0
  until engine_answers; do
    if [ "$waited" -ge 60 ]; then
      tail -n 20 "$log_file" >&2 || true
      die "dockerd did not answer within 60 s; see $log_file"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "dockerd answers after ${waited}s"
}

if engine_answers; then
  say "the Docker engine answers"
else
  start_dockerd
fi

if [ "${1:-}" != "--engine" ]; then
  "$here/build-images.sh"
fi
