#!/usr/bin/env bash
# Local stand-ins for the images the Dockerfile and docker-compose.yml name, for machines that
# reach no image registry. Each is built from Debian packages only (debootstrap, then apt inside
# the build) and honours the interface its upstream image documents, so the real files run
# unchanged. An image that is already present and is not one of our stand-ins (a real pull) is
# left alone: the real thing is the better proof.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STAND_IN_LABEL="org.tsh.stand-in"

log() { printf '[base-images] %s\n' "$*" >&2; }

# A minbase root file system imported as an image: the root every stand-in builds FROM.
# Cached as long as the tag exists; debootstrap takes about 30 s a suite.
debian_root() {
  local suite="$1" tag="tsh-stack/debian:$1" dir
  if docker image inspect "$tag" >/dev/null 2>&1; then
    log "$tag cached"
    return
  fi
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  dir="$(mktemp -d /var/tmp/tsh-rootfs-"$suite".XXXXXX)"
  log "debootstrap $suite into $dir"
  debootstrap --variant=minbase "$suite" "$dir" "$MIRROR" >"$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; rm -rf "$dir" "$dir.log"; exit 1; }
  # apt inside the builds needs the security and update suites too, like the official images.
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
    "$MIRROR" "$suite" "$MIRROR" "$suite" "$suite" >"$dir/etc/apt/sources.list"
  rm -f "$dir"/etc/apt/sources.list.d/*.sources
  # debootstrap leaves the .debs it installed: ~120 MB no image needs.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import -c 'CMD ["bash"]' - "$tag" >/dev/null
  rm -rf "$dir" "$dir.log"
  log "$tag imported"
}

# Build a stand-in unless a real image holds the tag. Docker's layer cache makes a rebuild
# of an unchanged stand-in a no-op.
stand_in() {
  local tag="$1" context="$2" base="$3" label
  label="$(docker image inspect -f "{{index .Config.Labels \"$STAND_IN_LABEL\"}}" "$tag" 2>/dev/null || true)"
  if docker image inspect "$tag" >/dev/null 2>&1 && [ "$label" != "true" ]; then
    log "$tag is a real image: kept"
    return
  fi
  log "building stand-in $tag"
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$base" --label "$STAND_IN_LABEL=true" -t "$tag" "$context" >/dev/null
}

debian_root bookworm
# nginx 1.27's `http2 on;` needs nginx >= 1.25.1: bookworm has 1.22, trixie 1.26.
debian_root trixie
stand_in python:3.11-slim "$HERE/images/python" tsh-stack/debian:bookworm
stand_in postgres:15 "$HERE/images/postgres" tsh-stack/debian:bookworm
stand_in nginx:1.27-alpine "$HERE/images/nginx" tsh-stack/debian:trixie
