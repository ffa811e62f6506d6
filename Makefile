# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt
export DBT_PROFILES_DIR := $(CURDIR)
export DUCKDB_PATH ?= data/analytics.duckdb
TEST_DB := target/test.duckdb
DEMO_DATA := data/example

.PHONY: demo test lint build bench clean report

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

demo: $(BIN)/activate
	$(BIN)/python examples/generate_demo_data.py $(DEMO_DATA)
	$(BIN)/python -m ingest --db $(DUCKDB_PATH) $(DEMO_DATA)
	$(DBT) build --quiet
	$(BIN)/python examples/summary.py $(DUCKDB_PATH)
	$(BIN)/python -m report --db $(DUCKDB_PATH)

# One self-contained HTML page of the marts (reports/index.html); REPORT_ARGS="--days 7 --out F.html".
report: $(BIN)/activate
	$(BIN)/python -m report --db $(DUCKDB_PATH) $(REPORT_ARGS)

build: $(BIN)/activate
	$(DBT) build

test: $(BIN)/activate
	$(BIN)/python -m pytest
	rm -f $(TEST_DB) && mkdir -p target
	$(BIN)/python -m ingest --quiet --db $(TEST_DB) tests/fixtures
	DUCKDB_PATH=$(TEST_DB) $(DBT) build
	$(BIN)/sqlfluff lint models macros tests

# Not part of `make test`: hours at the issue's sizes. `make bench BENCH_ARGS="--scale 0.1"` for a quick run.
bench: $(BIN)/activate
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(BIN)/activate
	$(BIN)/sqlfluff lint models macros tests

clean:
	rm -rf target dbt_packages logs data
