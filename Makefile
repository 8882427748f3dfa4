# Kelisim: `make run` serves the demo, `make test` runs the whole suite.
# Each target creates .venv when missing and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install

.PHONY: run test lint typecheck bench venv clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[server,postgres,dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/kelisim demo-setup
	$(BIN)/kelisim serve

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP)
	bash scripts/system-deps.sh test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)
	bash scripts/system-deps.sh bench
	$(BIN)/python bench/manifest.py
	$(BIN)/python bench/client.py
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
