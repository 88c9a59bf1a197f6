# Two commands for a newcomer:  make run  (demo server)   make test  (whole suite)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080

.PHONY: run test setup setup-test system-deps lint bench cluster clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.runtime

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

# Test only: the JavaScript calendar parsers the feed tests read /api/meetings.ics with.
tests/feeds_js/node_modules/.package-lock.json: tests/feeds_js/package.json tests/feeds_js/package-lock.json
	cd tests/feeds_js && npm ci --no-audit --no-fund --loglevel=error

setup: $(VENV)/.runtime web/node_modules/.package-lock.json

setup-test: $(VENV)/.test web/node_modules/.package-lock.json \
	tests/feeds_js/node_modules/.package-lock.json system-deps

# redis-server and Chromium (and nginx for the cluster test), from Debian, when missing.
system-deps:
	@bash .ci/system-deps

run: setup
	$(BIN)/peer-rooms serve --port $(PORT)

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/mypy

test: setup-test lint
	$(BIN)/pytest

# N processes sharing a Redis of their own, nginx in front (see README "Many processes").
cluster: setup system-deps
	$(BIN)/peer-rooms cluster --processes $(or $(N),2) --port $(PORT)

bench: setup-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) web/node_modules tests/feeds_js/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
