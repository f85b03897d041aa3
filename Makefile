# Every target bootstraps .venv from a bare python3 on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8765

# The official Polymarket SDK (tests/clients) pins websockets<16, so it gets its own venv.
SDK_VENV := .venv-sdk
SDK_STAMP := $(SDK_VENV)/.installed
SDK_LOCK := tests/clients/requirements-sdk.lock
SDK_REQUIREMENT := polymarket-client==0.14.*

# polymarket-apis 2.3.0 (tests/clients) needs Python >= 3.12: bench/peers/venvs.py finds one
# (python3.12+ on PATH or under pyenv) and builds its venv from the lock; with none it says so, and
# the tests that need it skip naming what is missing.
PA_VENV := .venv-polymarket-apis
PA_STAMP := $(PA_VENV)/.installed
PA_LOCK := tests/clients/requirements-polymarket-apis.lock

.PHONY: help test docs mock lint lock clean sdk lock-sdk polymarket-apis

help:
	@echo "make test   install (first run) and run the whole suite"
	@echo "make docs   serve the documentation site on http://$(HOST):8000"
	@echo "make mock   run the bundled mock Polymarket server on ws://$(HOST):$(PORT)"
	@echo "make lint   ruff over the mock, the tests and the pack's code blocks"
	@echo "make site   build the site strictly into site/ (with llms.txt and llms-full.txt)"
	@echo "make skill  build the skill as dist/polymarket/ and dist/polymarket-skill.zip"
	@echo "make bench  benchmark the documented clients against the bare library"
	@echo "make sdk    build .venv-sdk/ with the official Polymarket SDK (make test does it too)"
	@echo "make polymarket-apis  build .venv-polymarket-apis/ (Python >= 3.12; make test does it too)"

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "error: '$(PYTHON) -m venv' failed; install Python 3.11+ with venv (Debian: apt install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@touch $@

# Resolve pyproject's ranges again and pin the result (run after changing dependencies).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip freeze --exclude-editable | { echo "# Exact versions installed by 'make'. Regenerate with 'make lock' after changing pyproject.toml."; cat; } > requirements.lock

# The SDK's venv, from the exact pins of $(SDK_LOCK) (tests/clients run the SDK in it).
$(SDK_STAMP): $(SDK_LOCK)
	@test -x $(SDK_VENV)/bin/python || $(PYTHON) -m venv $(SDK_VENV) || { echo "error: '$(PYTHON) -m venv' failed; install Python 3.11+ with venv (Debian: apt install python3-venv)"; exit 1; }
	$(SDK_VENV)/bin/python -m pip install --quiet -r $(SDK_LOCK)
	@touch $@

sdk: $(SDK_STAMP)

# Exit status 2 of bench.peers.venvs = no Python >= 3.12 here: not an error, the tests skip.
$(PA_STAMP): $(PA_LOCK) | $(STAMP)
	$(BIN)/python -m bench.peers.venvs polymarket-apis || test $$? -eq 2

polymarket-apis: $(PA_STAMP)

# Resolve $(SDK_REQUIREMENT) again in a scratch venv and pin the result.
lock-sdk:
	rm -rf $(SDK_VENV).lock
	$(PYTHON) -m venv $(SDK_VENV).lock
	$(SDK_VENV).lock/bin/python -m pip install --quiet "$(SDK_REQUIREMENT)"
	{ sed -n '/^#/p' $(SDK_LOCK); $(SDK_VENV).lock/bin/python -m pip freeze; } > $(SDK_LOCK).new
	mv $(SDK_LOCK).new $(SDK_LOCK)
	rm -rf $(SDK_VENV).lock

# The second run: the pack's behaviour, fault and secret tests against the single file readers
# get from export_modules.py --single-file (tests/fixtures/kit_view.py), so it is as tested.
AMALGAMATION_TESTS := tests/behaviour tests/faults tests/secrets tests/wire/test_corpus_pack.py

test: $(STAMP) $(SDK_STAMP) $(PA_STAMP)
	$(BIN)/python -m pytest
	POLYMARKET_PACK_FORM=amalgamation $(BIN)/python -m pytest -q $(AMALGAMATION_TESTS)

docs: $(STAMP)
	$(BIN)/mkdocs serve --dev-addr $(HOST):8000

# Extra options go through ARGS, e.g. make mock ARGS="--scenario trading" (ARGS=--help lists them).
mock: $(STAMP)
	$(BIN)/python skills/polymarket/scripts/mock_server.py --host $(HOST) --port $(PORT) $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check skills/polymarket/scripts tests conftest.py
	$(BIN)/ruff format --check skills/polymarket/scripts tests conftest.py
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/pack/test_blocks.py -k ruff

clean:
	rm -rf $(VENV) $(SDK_VENV) $(PA_VENV) site build .pytest_cache

# --- the documentation site and the installable skill (tests in tests/site/) ---
.PHONY: site skill

# The site in site/, built with every MkDocs 1.6 validation at warn and --strict; llms.txt and
# llms-full.txt (the raw markdown in nav order) are written beside it.
site: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The skill as dist/polymarket/ and dist/polymarket-skill.zip: exactly skills/polymarket/, mock
# included, no caches. Standard library only, so no virtualenv is needed.
skill:
	$(PYTHON) tools/build_skill.py

# --- the benchmark (bench/README.md); `.venv/bin/python -m bench --quick` for a short run ---
.PHONY: bench bench-peers-clean
bench: $(STAMP)
	$(BIN)/python -m bench

# The peers' venvs (bench/peers/); the next `make bench` rebuilds them from their pins.
bench-peers-clean:
	rm -rf .venv-bench-*
