# The two commands: `make demo` and `make test`. Everything else here supports them.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
PORT ?= 8000
# Test processes for `make unit`; `auto` is one per CPU. Lower it (TEST_WORKERS=2) on a many-core, low-memory
# machine: every worker starts its own PostgreSQL cluster and the Spark tests a 4 GB JVM.
TEST_WORKERS ?= auto

.PHONY: demo demo-check test lint typecheck unit venv clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

## Set up, load the demo operation into the embedded SQLite database, print logins, serve on 127.0.0.1:8000.
demo: venv
	$(BIN)/caseweave demo --port $(PORT)

## The same without blocking, then a login against the served API to prove it answers.
demo-check: venv
	$(BIN)/caseweave demo --no-serve | tee .demo-check.log
	@bash scripts/demo-check.sh $(BIN) .demo-check.log $(PORT)

## Lint, types, and the tests on SQLite and on a PostgreSQL server the test run starts itself.
test: venv lint typecheck unit

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

# worksteal: idle workers take queued tests from busy ones, so uneven tests (Spark, ~100 s) don't finish last.
unit: venv
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache caseweave.db caseweave.db-* .demo-check.log
