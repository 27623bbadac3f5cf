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

.PHONY: build test unit install lint pytest synthetic clean bench dashboards serve dashboards-install browser-deps presentation bench-dashboards doctor headline

build: install
	@mkdir -p "$(dir $(RETAIL_WAREHOUSE))"
	$(BIN)/dbt build

# What is wrong with the served file and how to fix it (a stale WAL, a writable file, a file
# that does not open); DOCTOR_ARGS=--fix applies the safe fixes.
DOCTOR_ARGS ?=
doctor: install
	$(BIN)/python -m retail_warehouse.doctor --served "$(RETAIL_WAREHOUSE)" $(DOCTOR_ARGS)

# The ML headline metrics (churn ROC-AUC / PR-AUC, value RMSE, MASE of the chosen forecasts, hit
# rate@10, silhouette) of the served file, or of two built files side by side with a verdict:
# make headline HEADLINE_FILES="before.duckdb after.duckdb" HEADLINE_ARGS="--labels old new".
HEADLINE_FILES ?= $(RETAIL_WAREHOUSE)
HEADLINE_ARGS ?=
headline: install
	$(BIN)/python -m retail_warehouse.headline $(HEADLINE_FILES) $(HEADLINE_ARGS)

test: install $(DUCKDB_COMPAT_VENV)/.installed browser-deps lint metrics-check pytest

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

# The fast loop while developing: the unit tests alone (tests/python/unit/, no dbt build).
unit: install
	$(BIN)/python -m pytest -m unit -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 2 models python_models tests/generic tests/ml_checks analyses

# The semantic layer (models/semantic/, docs/metrics.md): dbt parses it, MetricFlow validates it
# (the metrics target never opens a build copy; tests/python/warehouse/test_semantic_layer.py
# runs its queries on a build).
.PHONY: metrics-check
metrics-check: install
	DBT_TARGET=metrics $(BIN)/dbt parse --quiet
	DBT_TARGET=metrics $(BIN)/mf validate-configs --skip-dw

# --durations=25: every log ends with the 25 slowest setups and tests (the dbt builds are fixture setups).
pytest: install $(DUCKDB_COMPAT_VENV)/.installed
	DUCKDB_COMPAT_PYTHON=$(abspath $(DUCKDB_COMPAT_VENV))/bin/python CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest --durations=25

# Regenerate the default synthetic data set (dbt build also does it when it is missing).
synthetic: install
	$(BIN)/python -m retail_warehouse.synth --out data/synthetic --lines 100000 --seed 42 --formats csv

# Benchmark (BENCHMARKS.md, README "Performance"): synthetic data at each size, every path
# measured, one table appended to BENCHMARKS.md. 100M lines: make bench SIZES="100k 1M 10M 100M"
# (set BENCH_MEMORY_LIMIT, e.g. 16GB, to prove the out-of-core build). Heavy: run it on a quiet machine.
SIZES ?= 100k 1M 10M
BENCH_STEPS ?= floor,dbt_startup,dbt_core,dbt_sql,dbt_no_new_input,dbt_incremental,dbt_ml,dbt_ml_scored,pandas
BENCH_MEMORY_LIMIT ?=
BENCH_NOTE ?=
# A step running longer is stopped and reported unfinished (the run goes on with the next).
BENCH_STEP_TIMEOUT_MINUTES ?= 45
bench: install
	$(BIN)/python -m retail_warehouse.bench --sizes "$(SIZES)" --steps "$(BENCH_STEPS)" \
		--step-timeout-minutes "$(BENCH_STEP_TIMEOUT_MINUTES)" \
		$(if $(BENCH_MEMORY_LIMIT),--memory-limit "$(BENCH_MEMORY_LIMIT)") $(if $(BENCH_NOTE),--note "$(BENCH_NOTE)")

# Dashboards: the Evidence site in dashboards/ (README "Dashboards"), built from the published
# warehouse, which its DuckDB driver opens read-only.
DASHBOARDS := dashboards
NPM_INSTALLED := $(DASHBOARDS)/node_modules/.installed
# The driver joins `filename` onto sources/warehouse/, so it gets a path relative to that folder.
DASHBOARDS_WAREHOUSE = $(shell realpath -m --relative-to=$(DASHBOARDS)/sources/warehouse "$(RETAIL_WAREHOUSE)")
CHROMIUM ?= /usr/bin/chromium
PORT ?= 8080

dashboards: dashboards-install
	@test -f "$(RETAIL_WAREHOUSE)" || { echo "no warehouse at $(RETAIL_WAREHOUSE): run make build first"; exit 1; }
	cd $(DASHBOARDS) && EVIDENCE_SOURCE__warehouse__filename="$(DASHBOARDS_WAREHOUSE)" npm run sources
	cd $(DASHBOARDS) && npm run build:strict
	@echo "site written to $(DASHBOARDS)/build: make serve, then open http://127.0.0.1:$(PORT)/"

serve:
	@test -f $(DASHBOARDS)/build/index.html || { echo "no site in $(DASHBOARDS)/build: run make dashboards first"; exit 1; }
	python3 -m http.server --bind 127.0.0.1 --directory $(DASHBOARDS)/build $(PORT)

# The deck: the /presentation page of the site printed to a PDF by headless Chromium.
PRESENTATION ?= artifacts/presentation.pdf
presentation: dashboards
	$(BIN)/python -m retail_warehouse.dashboards_site presentation --site $(DASHBOARDS)/build --out "$(PRESENTATION)" --chromium $(CHROMIUM)

# Page speed (BENCHMARKS.md "Dashboards"): seconds until each page of the built site is
# interactive in headless Chromium, cold and warm, median of DASHBOARD_RUNS runs, and the site's
# size. Not a test: run it on a quiet machine after make dashboards.
DASHBOARD_RUNS ?= 3
bench-dashboards: install dashboards-install
	$(BIN)/python -m retail_warehouse.dashboards_site speed --site $(DASHBOARDS)/build --runs $(DASHBOARD_RUNS) --chromium $(CHROMIUM)

dashboards-install: $(NPM_INSTALLED)

$(NPM_INSTALLED): $(DASHBOARDS)/package.json $(DASHBOARDS)/package-lock.json
	cd $(DASHBOARDS) && npm ci --no-audit --no-fund
	touch $@

# What the browser test needs: the npm packages and a Chromium (Debian's, installed when
# running as root, as CI does; otherwise the test is skipped and says why).
browser-deps: dashboards-install
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
		apt-get update && apt-get install -y chromium; \
	else echo "warning: no Chromium at $(CHROMIUM) and not root: the dashboards browser test will be skipped"; fi

clean:
	rm -rf target logs data/synthetic warehouse bench_work
