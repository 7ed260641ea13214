# Two commands matter: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install demo test bench lint format clean wheels image stack-test

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: install
	PY=$(PY) scripts/demo.sh

# Two workers that steal tests from each other: the suite's waits on Zoho-like limits and
# processes overlap on the two cores, and neither idles while the other ends a long file.
test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n 2 --dist worksteal

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .tsh .pytest_cache wheelhouse

# Benchmarks (bench/, BENCHMARKS.md): 12-15 minutes; PostgreSQL on 127.0.0.1:5432.
bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) \
		|| echo "wrk could not be installed: the HTTP benchmarks will say SKIPPED"
	$(PY) bench/run_all.py

# The image: wheels of deploy/requirements.lock downloaded on the host (no index inside the
# build), then the Dockerfile. `make image TAG=2026.11.28` builds a release.
TSH_IMAGE ?= tsh-zoho-sync
TAG ?= latest
wheels:
	PY=$(PYTHON) deploy/wheels.sh

image: wheels
	docker build -t $(TSH_IMAGE):$(TAG) .

# The production stack run for real (Docker, the real compose file, nginx, PostgreSQL; README
# "Tests and benchmarks"): root, to install and start Docker. Not part of `make test`.
stack-test: install
	PY=$(PY) deploy/stack-test/stack-test.sh
