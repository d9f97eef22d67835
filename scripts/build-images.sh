#!/usr/bin/env bash
# Builds every sample function under examples/functions/ as cares/<name>:latest, with no
# image registry: each image is FROM scratch plus a static busybox and its applet links.
#
#   scripts/build-images.sh            build the images that are missing
#   scripts/build-images.sh --rebuild  build them all again
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
functions_dir="$root/examples/functions"
rebuild=0
[ "${1:-}" = "--rebuild" ] && rebuild=1

say() { printf '[images] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

is_static() { file -L "$1" 2>/dev/null | grep -q 'statically linked'; }

find_busybox() {
  local candidate
  for candidate in /bin/busybox /usr/bin/busybox; do
    if [ -x "$candidate" ] && { ! command -v file >/dev/null || is_static "$candidate"; }; then
      echo "$candidate"
      return
    fi
  done
  return 1
}

busybox=$(find_busybox || true)
if [ -z "$busybox" ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
    die "a static busybox is needed (Debian: apt-get install busybox-static)"
  say "installing busybox-static from the distribution's packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
  busybox=$(find_busybox) || die "busybox-static installed, but no static busybox was found"
fi

# One root file system shared by every sample: busybox plus a link for each applet.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/bin" "$context/rootfs/tmp"
cp "$busybox" "$context/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$context/rootfs/bin/$applet"
done

for dir in "$functions_dir"/*/; do
  name=$(basename "$dir")
  [ -f "$dir/Dockerfile" ] || continue
  tag="cares/$name:latest"
  if [ "$rebuild" = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    continue
  fi
  say "building $tag"
  cp "$dir/Dockerfile" "$context/Dockerfile"
  # The classic builder needs no network and no buildx plugin.
  if ! DOCKER_BUILDKIT=0 docker build --quiet --network none -t "$tag" \
    --label org.cares.sample=true "$context" >"$context/build.log" 2>&1; then
    cat "$context/build.log" >&2
    die "building $tag failed"
  fi
done
say "sample images ready: $(cd "$functions_dir" && ls -d */ | tr -d / | tr '\n' ' ')"
