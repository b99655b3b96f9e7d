# Outside-In. `make run` serves the demo; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export DJANGO_SETTINGS_MODULE := outsidein.settings

.PHONY: run test test-sqlite test-postgres install install-test browser-deps lint messages bench bench-import bench-insights bench-text bench-kits bench-live bench-load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	mkdir -p var/static
	$(BIN)/outsidein manage migrate --no-input
	$(BIN)/outsidein demo --if-empty
	$(BIN)/outsidein manage demo_logins
	$(BIN)/outsidein serve

# Debian's chromium for the browser tests, gettext for the catalogue check.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v msgfmt >/dev/null; then \
		echo "Installing chromium and gettext from Debian's packages"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext) >/dev/null \
		|| { echo "could not install chromium/gettext (need root)"; exit 1; }; \
	fi

# The two databases run side by side (one per core); each run's output is printed whole
# when it ends.
test: install-test browser-deps
	$(MAKE) -j2 --output-sync=target test-sqlite test-postgres

# Each half reads no standard input and is stopped after 40 minutes whatever happens (a hung
# test fails on its own after 5: pyproject's timeout), so its output is always printed.
PYTEST := timeout --kill-after=60 40m $(BIN)/pytest -p no:cacheprovider --durations=10

test-sqlite:
	DATABASE_URL= $(PYTEST) < /dev/null

test-postgres:
	DATABASE_URL=$(PG_URL) $(PYTEST) -m "not browser" < /dev/null

lint: install-test
	$(BIN)/ruff check .

messages: install-test
	$(BIN)/outsidein manage makemessages -l nl --no-obsolete --no-location --ignore '.venv/*' --ignore 'var/*' --ignore '*/tests/*' --ignore 'tests/*'
	$(BIN)/outsidein manage compilemessages -l nl --ignore '.venv/*'

clean:
	rm -rf $(VENV) var

# Benchmarks (not timed tests): `make bench` runs every bench-* target.
bench: bench-import bench-insights bench-text bench-kits bench-live bench-load

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $(VENV)/.installed $@

bench-import: $(VENV)/.installed-bench
	$(BIN)/python bench/import_bench.py

bench-insights: $(VENV)/.installed-bench
	$(BIN)/python bench/insights_bench.py

bench-text: install
	$(BIN)/python bench/text_quality.py

bench-kits: install
	$(BIN)/python bench/cascade_kits_bench.py

bench-live: $(VENV)/.installed-bench
	$(BIN)/python bench/live_bench.py

bench-load: $(VENV)/.installed-bench
	$(BIN)/python bench/load_bench.py
