# Helpline: one entry point for setting up, running and checking the project.
#
#   make run     set up (if needed) and start the server on 127.0.0.1:8080 (SQLite under var/)
#   make test    set up (if needed) and run every check: lint, types, pytest, JS tests
#   make lint    ruff check, ruff format --check, mypy
#   make format  rewrite the code with ruff (imports sorted, formatted)
#   make bench   run scripts/bench.py: Helpline against a raw relay (docs/performance.md)
#   make clean   remove caches and build output (never var/, which holds the database)
#   make distclean  also remove .venv and node_modules
#
# Setup is a stamp file inside the virtual environment: it is redone only when
# pyproject.toml, a top-level package's __init__.py (a new package such as crypto/
# must reach the editable install) or, once it exists, package-lock.json is newer.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# The interpreter that creates the virtual environment (3.11 or newer).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
SETUP_STAMP := $(VENV)/.helpline-setup.stamp

# Python packages checked by mypy: crypto/ joins once it is a package.
MYPY_PACKAGES = helpline $(if $(wildcard crypto/__init__.py),crypto)

# Node.js: `npm ci` runs only when a package-lock.json exists at the top of the repo.
NPM_LOCK := $(wildcard package-lock.json)
NPM_STAMP := $(if $(NPM_LOCK),node_modules/.helpline-npm.stamp)

# Browser-side JavaScript tests, run with `node --test`: the crypto (crypto/js) and the
# seeker page's modules (helpline/web/seeker_page/js). Test files are named *.test.js,
# *.test.mjs or *.test.cjs; a directory that does not exist yet is left out, and while
# there are no test files at all, the step says so and passes.
JS_TEST_DIRS = $(wildcard crypto/js helpline/web/seeker_page/js counsellor_ui/js)
JS_TEST_FILES = $(if $(JS_TEST_DIRS),$(shell find $(JS_TEST_DIRS) -name node_modules -prune -o -type f \
	\( -name '*.test.js' -o -name '*.test.mjs' -o -name '*.test.cjs' \) -print 2>/dev/null | sort))

PYTEST_ARGS ?=

.PHONY: help setup run test lint format test-python test-js bench clean distclean

help:
	@sed -n 's/^#   \(make .*\)/\1/p' $(firstword $(MAKEFILE_LIST))

## Setup ####################################################################

setup: $(SETUP_STAMP) $(NPM_STAMP)

$(SETUP_STAMP): pyproject.toml $(wildcard */__init__.py)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: Helpline needs Python 3.11 or newer as '$(PYTHON)'; try: make PYTHON=python3.12 $(MAKECMDGOALS)" >&2; \
	  exit 1; }
	@if [ ! -x $(PY) ]; then \
	  echo "==> creating the virtual environment in $(VENV)"; \
	  $(PYTHON) -m venv $(VENV) || { \
	    echo "error: '$(PYTHON) -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; \
	    exit 1; }; \
	fi
	@echo "==> installing helpline and its development tools into $(VENV)"
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

ifneq ($(NPM_LOCK),)
$(NPM_STAMP): package-lock.json
	@echo "==> installing Node.js packages (npm ci)"
	npm ci --no-audit --no-fund
	@mkdir -p $(@D) && touch $@
endif

## Running ##################################################################

run: setup
	$(PY) run.py

## Checks ###################################################################

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_PACKAGES)

test-python: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-js: setup
	@if [ -z "$(strip $(JS_TEST_FILES))" ]; then \
	  echo "==> no JavaScript tests yet: skipping node --test"; \
	else \
	  echo "node --test $(JS_TEST_FILES)"; \
	  node --test $(JS_TEST_FILES); \
	fi

# In this order, stopping at the first failure.
test: setup
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-python
	$(MAKE) --no-print-directory test-js

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(PY) scripts/bench.py

## Cleaning #################################################################

# var/ is never removed: it holds the SQLite database with the staff accounts.
clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
	  \( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 | xargs -0 rm -rf

# Also the virtual environment and node_modules: the next make sets up from scratch.
distclean: clean
	rm -rf $(VENV) node_modules
