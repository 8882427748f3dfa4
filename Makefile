# Kelisim: `make run` serves the demo, `make test` runs the whole suite (CI runs it too),
# `make test-fast` the tests that start no process, window or browser, on SQLite, `make dist`
# the two distributions (the SDK `kelisim-sdk` from client_sdk/, the server `kelisim`).
# Each target creates .venv when missing and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install
# pytest-xdist workers. Most tests wait on real processes (servers, windows, a browser), so
# more workers than cores pay: on two cores, 1,825 tests took 9 min 45 s and 11 min 10 s
# with four workers, 10 min 55 s with three (2026-12-06); ~2,128 tests took about 13 min
# (2026-12-07). Then, measured file by file on a shared two-core machine (load 12-16, so
# slower than a quiet one): the window tests' set-up 294 s to 228 s, the operator API
# 31 + 37 s to 11 + 14 s, the password history 56 + 50 s to 1.5 + 1.4 s, six end-to-end
# modules (31 tests) 1,247 s to 614 s serially; work now goes out longest first
# (tests/scheduling.py). Whole runs (2026-12-07, 2,510 tests): 13 min 39 s on a fresh
# clone before each test's database became a copy of one migrated per worker
# (tests/dbtemplate.py), 11 min 43 s after on a quiet machine; six workers: 13 min 2 s.
TEST_WORKERS ?= 4
# The suite starts hundreds of Python processes (servers, CLI runs, windows), each importing
# the project's modules, and its workers load the migrations' scripts again and again: all
# of it compiled once into __pycache__ when Python may write bytecode. An environment that
# forbids that (PYTHONDONTWRITEBYTECODE=1; this workplace's shells set it) had every
# process compile it all again. With this, the head revision read once per process
# (server/db.py) and the templates compiled once per worker (tests/conftest.py), the
# suite's CPU went from 1,381 s to 1,156 s (user, whole run, 2026-12-07; 2,612 tests in
# 12 min 40 s).
WRITE_BYTECODE := PYTHONDONTWRITEBYTECODE=

.PHONY: run test test-fast demo lint typecheck bench dist venv clean

# Both distributions, editable: the SDK (client_sdk/pyproject.toml) with the widgets' and the
# fast verifier's extras, the server with PostgreSQL and the development tools.
$(STAMP): pyproject.toml client_sdk/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e './client_sdk[kivy,crypto]' -e '.[postgres,dev]'
	@touch $(STAMP)

venv: $(STAMP)

# The server and, beside it, the webhook delivery worker (stopped when the server stops).
run: $(STAMP)
	$(BIN)/kelisim demo-setup
	$(BIN)/kelisim worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/kelisim serve

# The demo app against the server of `make run` (start that first, in another terminal):
# it talks to KELISIM_HOST:KELISIM_PORT as `make run` serves them, or KELISIM_DEMO_SERVER.
# Its one-file bundle (pinned root, manifest, documents) comes from the same instance, so
# the first launch also works offline.
demo: $(STAMP)
	bash scripts/system-deps.sh demo
	$(BIN)/kelisim demo-setup
	$(BIN)/kelisim bundle jana-courier demo_app/jana-courier.kelisim
	$(BIN)/python -m demo_app

# The SDK's and the server's wheels and sdists in dist/ (each wheel built from its sdist,
# so a file the sdist lacks is missing from the wheel too: tests/test_dist.py checks both).
dist: $(STAMP)
	$(BIN)/python -m build -q --outdir dist client_sdk
	$(BIN)/python -m build -q --outdir dist .

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP)
	bash scripts/system-deps.sh test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(WRITE_BYTECODE) $(BIN)/python -m pytest -n $(TEST_WORKERS)

# The quick loop while working: no test that starts a process, a window or a browser (the
# `slow` marker is on each), and SQLite only (the PostgreSQL runs are `make test`'s).
test-fast: $(STAMP)
	$(WRITE_BYTECODE) $(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow and not postgres"

bench: $(STAMP)
	bash scripts/system-deps.sh bench
	$(BIN)/python bench/manifest.py
	$(BIN)/python bench/client.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/demo_start.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/import_text.py
	$(BIN)/python bench/tlog.py
	$(BIN)/python bench/webhooks.py

clean:
	rm -rf $(VENV) instance dist .pytest_cache .mypy_cache .ruff_cache
