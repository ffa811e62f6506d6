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
# Every package at an exact version with its hashes, for Python 3.11-3.13 on any platform: `make lock`
# writes it from pyproject.toml's dependencies and these extras.
LOCK := requirements.lock
LOCK_EXTRAS := dev lake
PYTHON_SOURCES := ingest report bench examples tests/python

.PHONY: demo test lint build bench clean distclean report lock lake-extensions

$(READY): pyproject.toml $(wildcard $(LOCK))
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==26.3  # the pip of Python 3.11 refuses extras (mashumaro[msgpack]) with hashes
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(READY)

# After changing a dependency in pyproject.toml (needs PyPI; the next make installs the new lock).
lock: $(READY)
	$(BIN)/uv pip compile pyproject.toml $(addprefix --extra ,$(LOCK_EXTRAS)) --universal --generate-hashes \
		--quiet -o $(LOCK)

# The demo data is generated once (dated to that day): a later `make demo` lands the same files again,
# all duplicates, instead of a second copy dated to the new day. `make clean` starts it afresh.
$(DEMO_DATA).generated: | $(READY)
	$(BIN)/python examples/generate_demo_data.py $(DEMO_DATA)
	touch $@

demo: $(READY) $(DEMO_DATA).generated
	$(BIN)/python -m ingest --db $(DUCKDB_PATH) $(DEMO_DATA)
	$(DBT) build --quiet
	$(BIN)/python examples/summary.py $(DUCKDB_PATH)
	$(BIN)/python -m report --db $(DUCKDB_PATH)

# One self-contained HTML page of the marts (reports/index.html); REPORT_ARGS="--days 7 --out F.html".
report: $(READY)
	$(BIN)/python -m report --db $(DUCKDB_PATH) $(REPORT_ARGS)

build: $(READY)
	$(DBT) build

test: lint
	$(BIN)/python -m pytest
	rm -f $(TEST_DB) && mkdir -p target
	$(BIN)/python -m ingest --quiet --db $(TEST_DB) tests/fixtures models/intermediate/benchmarks/shapes
	DUCKDB_PATH=$(TEST_DB) $(DBT) build

# Not part of `make test`: hours at the issue's sizes. `make bench BENCH_ARGS="--scale 0.1"` for a quick run.
bench: $(READY)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# DuckLake (DUCKDB_PATH=ducklake:postgres:...): its extensions from their wheels, installed offline
# into .duckdb_extensions (the wheels come with the lock; every connection of ingest, the report and dbt reads them from there).
lake-extensions: $(READY)
	$(BIN)/python -m ingest.lake install-extensions

# The same checks as .pre-commit-config.yaml; config in pyproject.toml and .sqlfluff.
lint: $(READY)
	$(BIN)/ruff check $(PYTHON_SOURCES)
	$(BIN)/ruff format --check $(PYTHON_SOURCES)
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models macros tests

# Build output and the demo warehouse; the installed environment stays.
clean:
	rm -rf target dbt_packages logs data

# Everything make created, the environment included: the next make installs it again.
distclean: clean
	rm -rf $(VENV)
