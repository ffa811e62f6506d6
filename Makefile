# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt
export DBT_PROFILES_DIR := $(CURDIR)
export DUCKDB_PATH ?= data/analytics.duckdb
TEST_DB := target/test.duckdb
DEMO_DATA := data/example

# The environment is ready only once everything installed: the stamp is written last, so a failed
# or interrupted install is retried by the next make instead of being taken as ready.
READY := $(VENV)/.installed

.PHONY: demo test lint build bench clean distclean report lake-extensions

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(READY)

demo: $(READY)
	$(BIN)/python examples/generate_demo_data.py $(DEMO_DATA)
	$(BIN)/python -m ingest --db $(DUCKDB_PATH) $(DEMO_DATA)
	$(DBT) build --quiet
	$(BIN)/python examples/summary.py $(DUCKDB_PATH)
	$(BIN)/python -m report --db $(DUCKDB_PATH)

# One self-contained HTML page of the marts (reports/index.html); REPORT_ARGS="--days 7 --out F.html".
report: $(READY)
	$(BIN)/python -m report --db $(DUCKDB_PATH) $(REPORT_ARGS)

build: $(READY)
	$(DBT) build

test: $(READY)
	$(BIN)/python -m pytest
	rm -f $(TEST_DB) && mkdir -p target
	$(BIN)/python -m ingest --quiet --db $(TEST_DB) tests/fixtures
	DUCKDB_PATH=$(TEST_DB) $(DBT) build
	$(BIN)/sqlfluff lint models macros tests

# Not part of `make test`: hours at the issue's sizes. `make bench BENCH_ARGS="--scale 0.1"` for a quick run.
bench: $(READY)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# DuckLake (DUCKDB_PATH=ducklake:postgres:...): its extensions from their wheels, installed offline
# into .duckdb_extensions (every connection of ingest, the report and dbt reads them from there).
lake-extensions: $(READY)
	$(BIN)/pip install --quiet -e '.[dev,lake]'
	$(BIN)/python -m ingest.lake install-extensions

lint: $(READY)
	$(BIN)/sqlfluff lint models macros tests

# Build output and the demo warehouse; the installed environment stays.
clean:
	rm -rf target dbt_packages logs data

# Everything make created, the environment included: the next make installs it again.
distclean: clean
	rm -rf $(VENV)
