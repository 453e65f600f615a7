# The one front door. `make help` lists what there is.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TZ := UTC

.DEFAULT_GOAL := help

help: ## Show this help
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt layers/core/pyproject.toml layers/core/requirements.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP) ## Create the virtualenv and install everything (done by the other targets when needed)

run: $(STAMP) ## Run the product locally on http://127.0.0.1:3000 (SEED=file.json: your own data; STRIPE_BRIDGE=true: the Stripe bridge on localstripe)
	$(BIN)/python -m local.server --port $${PORT:-3000} $(if $(SEED),--seed $(SEED))

demo: $(STAMP) ## Tell the whole story against a local stack (starts one if none is running) and print each step
	$(BIN)/python -m local.demo

lint: $(STAMP) ## ruff (lint + format check), mypy on the shared package, cfn-lint (+ serverless rules) on the template
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/core/paid_invites
	$(BIN)/lint-imports
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules

openapi: $(STAMP) ## Regenerate docs/openapi.json from the handlers' typed routes
	$(BIN)/python -m local.openapi

schemas: $(STAMP) ## Regenerate the events' JSON Schemas (docs/schemas/<DetailType>.json) from their models
	$(BIN)/python -m local.schemas

templates: $(STAMP) ## Compile the page and e-mail templates into their committed compiled.zip archives
	$(BIN)/python -m paid_invites.templating

LOCALE := layers/core/paid_invites/locale
messages: $(STAMP) ## Extract the keys in use (babel.cfg -> build/messages.pot), update the catalogues from English, compile the .mo files
	$(BIN)/pybabel extract -F babel.cfg -k t -k text:2 --sort-output --omit-header -o build/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/en/LC_MESSAGES/messages.po -d $(LOCALE) -D messages -w 120 \
		--no-fuzzy-matching --ignore-pot-creation-date
	$(BIN)/pybabel compile -d $(LOCALE) -D messages --statistics

reliability: $(STAMP) ## The reliability suite (races, faults, fuzz, properties, hostile input) and its report table
	$(BIN)/python -m tests.reliability.report $(PYTEST_ARGS)

bench: $(STAMP) ## Measure cold starts, AWS requests, transitions, cost and throughput; one table (docs/benchmarks.md)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

fmt: $(STAMP) ## Format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint ## The test command: lint, then unit, integration and e2e tests
	$(BIN)/pytest $(PYTEST_ARGS)

chromium: ## Install Debian's Chromium for the browser tests, if missing (as root; .ci/run does it)
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test-browser: $(STAMP) ## Only the browser tests (headless Chromium); screenshots and axe findings in test-artifacts/browser
	$(BIN)/pytest tests/browser $(PYTEST_ARGS)

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts

.PHONY: help venv run demo lint fmt openapi schemas templates messages reliability bench test chromium test-browser clean
