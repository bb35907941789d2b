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
	$(BIN)/ruff check shared functions tests benchmarks tools
	$(BIN)/ruff format --check shared functions tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format shared functions tests benchmarks tools
	$(BIN)/ruff check --fix shared functions tests benchmarks tools

bench: install ## prints `name: value unit` lines
	$(BIN)/python -m benchmarks

run: install ## the whole system locally, end to end
	$(BIN)/omegacopy run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# ---- Infrastructure as code (template.yaml, AWS SAM) ----------------------------------------------
# The IaC tools live in their own venvs, never in $(VENV): aws-sam-cli pins boto3 (it would
# downgrade ours) and checkov pins a different boto3 again, hence two. Versions: tools/requirements-*.txt.
TOOLS      := .venv-tools
SAM_VENV   := $(TOOLS)/sam
SCAN_VENV  := $(TOOLS)/scan
ASL_DIR    := $(TOOLS)/asl
SAM        := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
ENV        ?= dev
FUNCTION   ?= wallet_monitor
EVENT      ?= events/wallet_monitor_tick.json
OVERRIDES  ?=
IAC_OUT    := .aws-sam/iac
# `sam build` needs the Lambda runtime's python3.12 on PATH; pyenv machines keep it off PATH.
PY312_BIN  := $(lastword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12.*/bin))
SAM_PATH   := $(if $(PY312_BIN),$(PY312_BIN):)$(PATH)

.PHONY: iac-tools iac sam-build deploy invoke

$(SAM_VENV)/.installed: tools/requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip==25.3
	$(SAM_VENV)/bin/pip install --quiet -r tools/requirements-sam.txt
	touch $@

$(SCAN_VENV)/.installed: tools/requirements-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet --upgrade pip==25.3
	$(SCAN_VENV)/bin/pip install --quiet -r tools/requirements-scan.txt
	touch $@

# Amazon States Language validator (npm; node is on every machine of this project's kind).
$(ASL_DIR)/.installed:
	npm install --silent --no-audit --no-fund --prefix $(ASL_DIR) asl-validator@4.0.0
	touch $@

iac-tools: $(SAM_VENV)/.installed $(SCAN_VENV)/.installed $(ASL_DIR)/.installed ## SAM CLI, cfn-lint, checkov, bandit, detect-secrets, asl-validator (pinned)

iac: install iac-tools ## lint, validate and scan the template and the code (offline, no AWS credentials)
	$(SAM_VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml --region eu-west-1
	$(BIN)/python tools/transform_template.py --output $(IAC_OUT)/template.json --asl-dir $(IAC_OUT)
	for asl in $(IAC_OUT)/*.asl.json; do $(ASL_DIR)/node_modules/.bin/asl-validator --json-path $$asl || exit 1; done
	$(SCAN_VENV)/bin/checkov --config-file infra/checkov.yaml --file $(IAC_OUT)/template.json
	$(SCAN_VENV)/bin/bandit --quiet --configfile infra/bandit.yaml --severity-level medium --recursive shared functions tools
	$(BIN)/python tools/secret_scan.py --detect-secrets $(SCAN_VENV)/bin/detect-secrets

sam-build: $(SAM_VENV)/.installed ## build the functions and the layer into .aws-sam/build (no container)
	@PATH="$(SAM_PATH)" sh -c 'command -v python3.12' >/dev/null || { echo "sam build needs python3.12 on PATH" >&2; exit 1; }
	PATH="$(SAM_PATH)" $(SAM) build --config-env $(ENV)

deploy: sam-build ## sam deploy --config-env $(ENV) [OVERRIDES="Key=Value ..." on top of samconfig.toml's]
	PATH="$(SAM_PATH)" $(SAM) deploy --config-env $(ENV) \
		$(if $(strip $(OVERRIDES)),--parameter-overrides "$$($(BIN)/python tools/sam_overrides.py $(ENV) $(OVERRIDES))")

invoke: install ## run a handler in-process: make invoke FUNCTION=wallet_monitor EVENT=events/wallet_monitor_tick.json [ENV_FILE=…/local.env]
	$(BIN)/python tools/invoke.py $(FUNCTION) $(EVENT) $(if $(ENV_FILE),--env-file $(ENV_FILE))

# ---- The local EVM of the redemption tests (evm/: Hardhat node, solc, ConditionalTokens source) ------
# npm ci only when the lock changed (npm's own cache keeps the downloads); the tests call the same.
.PHONY: evm-deps
evm-deps: evm/node_modules/.omegacopy-installed ## npm packages of the local EVM (pinned by evm/package-lock.json)

evm/node_modules/.omegacopy-installed: evm/package-lock.json
	npm ci --prefix evm --no-audit --no-fund --loglevel=error
	touch $@

# ---- Executor soak (minutes): duplicates, non-terminal intents, unbooked fills, balance drift: all 0 --
.PHONY: soak

soak: install ## 10,000 intents with redeliveries, crashes, lost replies, rotated keys, 404 books, fees; 3 reconciles
	$(BIN)/python -m benchmarks.executor_soak
