# OmegaCopy — the team's vocabulary. Every target works from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test test-unit test-integration lint format typecheck importlint bench run clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## venv with runtime + dev dependencies (pinned)

test: install ## the whole suite against real PostgreSQL, ClickHouse (chDB), moto and the paper exchange
	@# pytest exits 5 when it collects nothing: that is a failure, not a pass
	$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi; exit $$rc

test-unit: install
	$(BIN)/pytest tests/unit

test-integration: install
	$(BIN)/pytest tests/integration tests/e2e

lint: install ## ruff, mypy and the import contracts
	$(BIN)/ruff check shared functions tests benchmarks
	$(BIN)/ruff format --check shared functions tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format shared functions tests benchmarks
	$(BIN)/ruff check --fix shared functions tests benchmarks

bench: install ## prints `name: value unit` lines
	$(BIN)/python -m benchmarks

run: install ## the whole system locally, end to end
	$(BIN)/omegacopy run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
