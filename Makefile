# The two quick-start commands: `make run` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench install system-deps npm-deps

$(BIN)/tracker: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	touch $@

install: $(BIN)/tracker

## run: install, then start the service with the built-in demo on tracker.db
run: install
	$(BIN)/tracker demo

## system-deps: Debian's chromium for the browser tests and ICU for PyICU (needs root or sudo)
system-deps:
	bash scripts/system-deps

## npm-deps: axe-core for the accessibility checks in the browser tests (into build/npm/)
npm-deps: system-deps
	bash scripts/npm-deps

## test: install everything (Python packages, chromium, ICU, axe-core), then run the whole suite
test: system-deps install npm-deps
	$(BIN)/python -m pip install --quiet -e '.[icu]'
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto

## bench: every benchmark in bench/, each printing medians over several runs
bench: install
	bash scripts/system-deps --bench
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done
