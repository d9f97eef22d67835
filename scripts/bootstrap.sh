#!/usr/bin/env bash
# Brings a machine that has only Node and npm up to what CARES needs to run and test:
# the pnpm version named in package.json, the workspace's dependencies, and the tools
# the scripts and tests call.
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

# Tools the scripts and tests call: curl (demo, load-balancing check), openssl (TLS test
# certificates), tmux (terminal UI tests).
missing=()
for tool in curl openssl tmux; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} from the distribution's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing ${missing[*]}; the tests need them (Debian: apt-get install ${missing[*]})"
  fi
fi
