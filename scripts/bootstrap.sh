#!/usr/bin/env bash
# Brings a machine that has only Node and npm up to what CARES needs to run and test:
# the pnpm version named in package.json, the workspace's dependencies and tmux.
# Safe to run any number of times.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

say() { printf '[bootstrap] %s\n' "$*" >&2; }

# package.json names the exact pnpm; another version would try to fetch that one itself.
wanted=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$wanted" ]; then
  say "installing pnpm $wanted with npm"
  npm install --global --silent "pnpm@$wanted" >/dev/null
fi

if [ ! -d node_modules/.pnpm ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
  say "installing dependencies"
  pnpm install --frozen-lockfile --reporter=silent
fi

if ! command -v tmux >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing tmux from the distribution's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
  else
    say "tmux is missing; the terminal UI tests need it (Debian: apt-get install tmux)"
  fi
fi
