#!/usr/bin/env bash
# `make stack-test`: the production stack built and run for real on this machine.
#  1. Docker: installed from Debian's packages (docker.io, docker-compose) and dockerd started
#     when missing; nothing is done when an engine already answers.
#  2. Base images: local stand-ins built from Debian packages (base-images.sh; cached).
#  3. Wheels of deploy/requirements.lock on the host (make wheels; cached by pip).
#  4. The driver (tests/stack): image, compose up, proofs, upgrade/rollback, down -v.
# Root is needed for 1 (apt-get, dockerd); everything else talks to the Docker socket.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PY:-.venv/bin/python}"

log() { printf '[stack-test] %s\n' "$*" >&2; }

ensure_docker() {
  if ! command -v dockerd >/dev/null && ! docker info >/dev/null 2>&1; then
    log "installing docker.io from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
    log "installing docker-compose from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    log "starting dockerd (log: /var/log/dockerd.log)"
    # setsid: the daemon outlives this script and is not in make's process group.
    setsid dockerd >/var/log/dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log >&2; exit 1; }
  fi
}

started=$(date +%s)
ensure_docker
deploy/stack-test/base-images.sh
PY="$PY" deploy/wheels.sh
log "setup took $(( $(date +%s) - started )) s; running the driver"
exec "$PY" -m tests.stack "$@"
