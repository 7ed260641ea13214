#!/usr/bin/env bash
# wheelhouse/: the wheels of deploy/requirements.lock for the image (CPython 3.11, glibc,
# this machine's architecture), downloaded on the host so the Docker build needs no index.
# Any python3 with pip will do: the target tags are the image's, not the host's.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
arch="$(uname -m)"
platforms=()
for tag in manylinux_2_28 manylinux_2_27 manylinux_2_24 manylinux_2_17 manylinux2014 manylinux_2_5 manylinux1; do
  platforms+=(--platform "${tag}_${arch}")
done
mkdir -p wheelhouse
"$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --implementation cp --python-version 3.11 --abi cp311 "${platforms[@]}" \
  -r deploy/requirements.lock -d wheelhouse
# Wheels of versions no longer pinned would only grow the build context.
"$PY" - <<'PRUNE'
import re
from pathlib import Path

def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()

lines = Path("deploy/requirements.lock").read_text().splitlines()
pins = {(norm(n), v) for n, v in (x.split("==") for x in lines if x and not x.startswith("#"))}
for whl in Path("wheelhouse").glob("*.whl"):
    name, version = whl.name.split("-")[:2]
    if (norm(name), version) not in pins:
        print(f"removing {whl.name} (not in the lock)")
        whl.unlink()
PRUNE
echo "wheelhouse/: $(ls wheelhouse/*.whl | wc -l) wheels for $(grep -vc '^#' deploy/requirements.lock) pins"
