"""The whole pipeline on synthetic data: builds, schemas, conservation, DuckDB 1.4 clients."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from helpers import require_success

WAREHOUSE_SCHEMAS = {"raw", "staging", "intermediate", "marts"}


def test_models_land_in_clean_schemas(synthetic_build):
    schemas = {
        name
        for (name,) in synthetic_build.query(
            "select schema_name from information_schema.schemata where catalog_name = current_database()"
        )
    }
    assert schemas >= WAREHOUSE_SCHEMAS
    assert not [name for name in schemas if name.startswith("main_")]
    assert (
        synthetic_build.scalar(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
            " and table_name in ('row_conservation', 'data_quality_issues')"
        )
        == 2
    )


def test_every_synthetic_row_is_accounted_for(synthetic_build, synthetic_files):
    rows = synthetic_build.query(
        "select source_table, raw_rows, staged_rows, quarantined_rows from marts.row_conservation"
    )
    assert len(rows) == 10
    for table, raw, staged, quarantined in rows:
        assert raw > 0, f"{table} landed no row"
        assert raw == staged + quarantined, table
    csv_lines = len((synthetic_files / "online_retail" / "online_retail.csv").read_text().splitlines()) - 1
    assert dict((t, r) for t, r, _, _ in rows)["online_retail__invoice_lines"] == csv_lines


def test_warehouse_file_opens_in_a_duckdb_1_4_client(synthetic_build):
    compat_python = os.environ.get("DUCKDB_COMPAT_PYTHON")
    if not compat_python:
        pytest.skip("DUCKDB_COMPAT_PYTHON not set (make test sets it to a venv with duckdb 1.4.2)")
    script = (
        "import duckdb, sys\n"
        "assert duckdb.__version__.startswith('1.4'), duckdb.__version__\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(con.execute('select sum(raw_rows) from marts.row_conservation').fetchone()[0])\n"
    )
    completed = subprocess.run(
        [compat_python, "-c", script, str(synthetic_build.warehouse)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert int(completed.stdout) == synthetic_build.scalar("select sum(raw_rows) from marts.row_conservation")


def test_no_input_builds_on_generated_synthetic_data(no_input_build):
    """What `make build` does for a new user: the default data set, every model, ML included
    (the neural models aside, var ml_neural false: synthetic_build checks them)."""
    build = require_success(no_input_build)
    assert (build.warehouse.parent.parent / "synthetic" / "synth_manifest.json").exists()
    statuses = build.query("select distinct status, is_synthetic from staging.stg_landing__file_loads")
    assert statuses == [("found", True)]
    assert build.scalar("select count(*) from staging.stg_online_retail__invoice_lines") > 0
    assert build.scalar("select count(*) from staging.stg_olist__orders") > 0
    # Every ML area wrote its tables for both stores.
    for table in ("customer_segments", "churn_scores", "demand_forecast", "product_recommendations"):
        assert build.scalar(f"select count(distinct store) from ml.{table}") == 2, table


def synthetic_quirks(synthetic_files) -> dict:
    return json.loads((synthetic_files / "synth_manifest.json").read_text())["quirks"]


def quality_rows(build, source_table: str, rule: str) -> int:
    return build.scalar(
        "select rows from marts.data_quality_issues where source_table = ? and rule = ?", [source_table, rule]
    )


@pytest.mark.parametrize(
    ("source_table", "rule", "quirk_path"),
    [
        ("online_retail__invoice_lines", "exact duplicate of an earlier line", ("online_retail", "duplicate_lines")),
        ("olist__orders", "order without items", ("olist", "orders", "without_items")),
        ("olist__orders", "order without payment", ("olist", "order_payments", "orders_without_payment")),
        (
            "olist__orders",
            "delivered order without delivered_to_customer_at",
            ("olist", "orders", "delivered_without_delivery_date"),
        ),
        (
            "olist__customers",
            "customer_unique_id with several customer_id",
            ("olist", "customers", "unique_customers_with_several_customer_ids"),
        ),
        (
            "olist__order_payments",
            "order with several payments",
            ("olist", "order_payments", "orders_with_several_payments"),
        ),
        (
            "olist__order_reviews",
            "review_id shared by several orders",
            ("olist", "order_reviews", "review_ids_shared_by_orders"),
        ),
        ("olist__products", "product without category", ("olist", "products", "missing_category")),
        ("olist__geolocation", "exact duplicate of an earlier row", ("olist", "geolocation", "duplicate_rows")),
    ],
)
def test_injected_quirks_are_counted(synthetic_build, synthetic_files, source_table, rule, quirk_path):
    expected = synthetic_quirks(synthetic_files)
    for key in quirk_path:
        expected = expected[key]
    assert quality_rows(synthetic_build, source_table, rule) == expected
