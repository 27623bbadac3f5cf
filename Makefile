# Two commands for a new user: `make build` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# A DuckDB 1.4 client, as BI drivers and Evidence use, to prove the file opens there.
DUCKDB_COMPAT_VENV := .venv-duckdb14
DUCKDB_COMPAT_VERSION := 1.4.2

# Inputs (empty = not given; with neither given the build uses synthetic data).
ONLINE_RETAIL_PATH ?=
OLIST_DIR ?=
RETAIL_WAREHOUSE ?= warehouse/retail_warehouse.duckdb
export ONLINE_RETAIL_PATH OLIST_DIR RETAIL_WAREHOUSE

.PHONY: build test install lint pytest synthetic clean bench

build: install
	@mkdir -p "$(dir $(RETAIL_WAREHOUSE))"
	$(BIN)/dbt build

test: install $(DUCKDB_COMPAT_VENV)/.installed lint pytest

install: $(INSTALLED)

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(DUCKDB_COMPAT_VENV)/.installed:
	test -x $(DUCKDB_COMPAT_VENV)/bin/python || $(PYTHON) -m venv $(DUCKDB_COMPAT_VENV)
	$(DUCKDB_COMPAT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check duckdb==$(DUCKDB_COMPAT_VERSION)
	touch $@

lint: install
	$(BIN)/sqlfluff lint --processes 2 models tests/generic analyses

pytest: install $(DUCKDB_COMPAT_VENV)/.installed
	DUCKDB_COMPAT_PYTHON=$(abspath $(DUCKDB_COMPAT_VENV))/bin/python $(BIN)/python -m pytest

# Regenerate the default synthetic data set (dbt build also does it when it is missing).
synthetic: install
	$(BIN)/python -m retail_warehouse.synth --out data/synthetic --lines 100000 --seed 42 --formats csv

# Benchmark (BENCHMARKS.md, README "Performance"): synthetic data at each size, every path
# measured, one table appended to BENCHMARKS.md. 100M lines: make bench SIZES="100k 1M 10M 100M"
# (set BENCH_MEMORY_LIMIT, e.g. 16GB, to prove the out-of-core build). Heavy: run it on a quiet machine.
SIZES ?= 100k 1M 10M
BENCH_STEPS ?= floor,dbt_startup,dbt_core,dbt_sql,dbt_incremental,dbt_ml,pandas
BENCH_MEMORY_LIMIT ?=
BENCH_NOTE ?=
bench: install
	$(BIN)/python -m retail_warehouse.bench --sizes "$(SIZES)" --steps "$(BENCH_STEPS)" \
		$(if $(BENCH_MEMORY_LIMIT),--memory-limit "$(BENCH_MEMORY_LIMIT)") $(if $(BENCH_NOTE),--note "$(BENCH_NOTE)")

clean:
	rm -rf target logs data/synthetic warehouse bench_work
