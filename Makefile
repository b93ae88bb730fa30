# One command per task; CI runs the same targets (.ci/run -> make test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml codegen/pyproject.toml devkit/pyproject.toml constraints.txt | sha256sum | cut -c1-12)
SRC    := runtime codegen devkit tests benchmarks

.DEFAULT_GOAL := help
.PHONY: help install codegen codegen-check lint image-check test test-fast bench-contracts bench bench-floor bench-restart compat demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]' -e ./codegen -e ./devkit
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv: doran, its toolchain (codegen/), its dev kit (devkit/), test tools (pinned by constraints.txt)

codegen: $(STAMP) ## render generated/ and docs/contracts.md from schemas/
	$(BIN)/doran-codegen

codegen-check: $(STAMP) ## fail if generated/ or docs/ differ from a fresh render
	$(BIN)/doran-codegen --check

lint: $(STAMP) ## ruff, mypy, import layers, schema conventions, generated output up to date
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/mypy runtime codegen devkit benchmarks
	$(BIN)/lint-imports
	$(BIN)/doran-codegen lint
	$(BIN)/doran-codegen --check

IMAGE_VENV ?= .state/image-venv
image-check: ## the image's dependency set (doran alone, as the Dockerfile installs it) imports all it runs
	rm -rf $(IMAGE_VENV) && $(PYTHON) -m venv $(IMAGE_VENV)
	$(IMAGE_VENV)/bin/python -m pip install -q --upgrade pip
	$(IMAGE_VENV)/bin/python -m pip install -q -c constraints.txt .
	cd $(IMAGE_VENV) && bin/python $(CURDIR)/tests/image/check_runtime_imports.py

test: lint image-check ## everything CI runs: lint, the image's dependencies, unit + integration tests
	$(BIN)/pytest -q

test-fast: $(STAMP) ## unit tests only (no broker)
	$(BIN)/pytest -q -m "not integration"

demo: $(STAMP) ## the whole loop: embedded broker, relay simulator, four stages, signed answers, reconciled summary
	$(BIN)/doran demo

bench-contracts: $(STAMP) ## hot-path validator vs the jsonschema reference, us/message; the gate's time
	$(BIN)/python -m benchmarks.contracts
	$(BIN)/python -m benchmarks.gate

bench: $(STAMP) ## issue 9 and 16 targets: throughput vs a Quix identity app, quote -> answer latency via the relay simulator; writes reports/
	$(BIN)/python -m benchmarks.pipeline

bench-floor: $(STAMP) ## the embedded broker's own floor: the quote path's Kafka hops with no stage logic, p99 and broker CPU at 250 and 500 records/s
	$(BIN)/python -m benchmarks.broker_floor

bench-restart: $(STAMP) ## seconds a killed or rolled stage is away, production consumer settings (SETTINGS=embedded: tansu's; MODES=execute-kill,...); writes reports/
	$(BIN)/python -m benchmarks.restart --settings $(or $(SETTINGS),production) $(if $(MODES),--modes $(MODES))

AGAINST ?= HEAD~1
compat: $(STAMP) ## breaking-change gate: schemas/ against AGAINST (a git ref or a folder; default HEAD~1)
	$(BIN)/doran contracts check --against $(AGAINST)

clean: ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
