# The two commands of the README: `make run` and `make test` (and `make bench`,
# README "Benchmark"). Everything they need is installed here, from PyPI and npm,
# into .venv and node_modules.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

BENCH_SIZES ?= 500,5000,50000
# A PostgreSQL URL to benchmark on as well, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test
BENCH_DATABASE_URL ?=

.PHONY: setup run test bench lock audit clean

setup: $(VENV)/.installed static/vendor/manifest.json

# Every Python package, pinned with its hashes, from requirements.lock (see `make lock`).
# The app itself runs from this folder (pytest, flask --app wsgi and gunicorn find it
# here), so it is not installed into the venv.
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

# Re-pin after changing the dependencies in pyproject.toml (or to take newer releases:
# LOCK_ARGS=--upgrade). package-lock.json is npm's: `npm install <pkg>@<version>`.
lock: setup
	$(PY) -m pip install --quiet pip-tools
	$(PY) -m piptools compile --quiet --generate-hashes --allow-unsafe --extra test --strip-extras \
		--no-emit-index-url --no-emit-find-links $(LOCK_ARGS) --output-file requirements.lock pyproject.toml

# Known vulnerabilities in the pinned packages (needs advisory data from PyPI; says so when unreachable).
audit: setup
	scripts/audit.sh

static/vendor/manifest.json: package.json package-lock.json scripts/vendor_assets.py
	npm ci --no-audit --no-fund --loglevel=error
	$(PY) scripts/vendor_assets.py

# Set up, create the SQLite database with demo data, and serve on http://$(HOST):$(PORT)/.
run: setup
	$(PY) -m flask --app wsgi db upgrade
	$(PY) -m flask --app wsgi demo-data
	@echo
	@echo "  Intake (public):  http://$(HOST):$(PORT)/aanmelden"
	@echo "  Back office:      http://$(HOST):$(PORT)/login"
	@echo "  Demo logins:      asr@example.nl, keylane@example.nl, beheer@example.nl (admin)"
	@echo "  Demo password:    demo-wachtwoord"
	@echo
	$(PY) -m flask --app wsgi run --host $(HOST) --port $(PORT)

# Set up and run the whole test suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set).
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# Seed, time and load-test the pages at BENCH_SIZES registrations (SQLite, and
# PostgreSQL with BENCH_DATABASE_URL); prints tables, writes bench/results/*.json,
# fails when a budget fails (BENCH_ARGS=--report-only to only report).
bench: setup
	$(PY) -m bench.run --sizes $(BENCH_SIZES) $(if $(BENCH_DATABASE_URL),--database-url $(BENCH_DATABASE_URL)) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache
