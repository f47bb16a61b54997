# Two commands matter: `make run` (set up, load the bundled data, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: run test lint load serve clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

load: $(VENV)/.installed
	$(PY) -m etl refresh

serve: $(VENV)/.installed
	$(PY) -m dashboard --host $(HOST) --port $(PORT)

run: load serve

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check schemas etl dashboard tests
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) data/displacement.db* data/etl.lock test-artifacts

.PHONY: bench
# Every benchmark on this machine (never part of `make test`): bench/results/latest.{json,md}.
bench: $(VENV)/.installed-dev
	$(PY) -m bench
	$(PY) -m bench.briefing
	$(PY) -m bench.connectors
	$(PY) -m bench.caches

.PHONY: test-pg-up test-pg
# A PostgreSQL server for the tests, as CI makes it: installs the system package if missing,
# starts the cluster on 127.0.0.1, creates the `dashboard` role (needs root or sudo).
test-pg-up:
	.ci/run postgres

# The suite on both backends against that server (its default URL; override TEST_POSTGRES_URL).
TEST_POSTGRES_URL ?= postgresql+psycopg://dashboard:dashboard@127.0.0.1:5432/postgres
test-pg: $(VENV)/.installed-dev
	TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest tests/unit tests/integration tests/sources
