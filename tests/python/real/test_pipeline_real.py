"""The whole pipeline on the real files in ../shared/data, checked against the raw files:
rows per file from ../shared/data/MANIFEST.md, quirk counts from the reference computation of
the raw files (reference.py, apart from the dbt models)."""

from __future__ import annotations

import duckdb
import pytest
from helpers import REAL_OLIST_DIR
from real.reference import MANIFEST_OR_LINES, MANIFEST_ROWS, ONLINE_RETAIL_QUIRKS


def test_every_raw_row_is_landed_and_accounted_for(real_build):
    conservation = {
        table: (raw, staged, quarantined)
        for table, raw, staged, quarantined in real_build.query(
            "select source_table, raw_rows, staged_rows, quarantined_rows from marts.row_conservation"
        )
    }
    assert {table: counts[0] for table, counts in conservation.items()} == MANIFEST_ROWS
    for table, (raw, staged, quarantined) in conservation.items():
        assert raw == staged + quarantined, table
    for table, expected in MANIFEST_ROWS.items():
        assert real_build.scalar(f"select count(*) from raw.{table}") == expected


def test_workbook_and_csv_give_the_same_staged_lines(real_build, real_csv_build):
    assert real_csv_build.scalar("select count(*) from raw.online_retail__invoice_lines") == MANIFEST_OR_LINES
    columns = "invoice_no, stock_code, description, quantity, invoiced_at, unit_price, customer_id, country, source_row_number"
    with duckdb.connect() as con:
        con.execute(f"attach '{real_build.warehouse}' as from_xlsx (read_only)")
        con.execute(f"attach '{real_csv_build.warehouse}' as from_csv (read_only)")
        for left, right in [("from_xlsx", "from_csv"), ("from_csv", "from_xlsx")]:
            difference = con.execute(
                f"""
                select count(*) from (
                    select {columns} from {left}.staging.stg_online_retail__invoice_lines
                    except all
                    select {columns} from {right}.staging.stg_online_retail__invoice_lines
                )
                """
            ).fetchone()[0]
            assert difference == 0, f"{left} has {difference} lines that {right} lacks"


def quality_counts(build) -> dict[str, int]:
    return {
        rule: rows
        for rule, rows in build.query(
            "select rule, rows from marts.data_quality_issues where source_table = 'online_retail__invoice_lines'"
        )
    }


@pytest.mark.parametrize("rule", sorted(ONLINE_RETAIL_QUIRKS))
def test_online_retail_quirk_counts_match_the_raw_file(real_build, reference, rule):
    assert quality_counts(real_build)[rule] == reference.online_retail_quirk_counts[rule]


def test_exact_duplicates_are_quarantined_not_lost(real_build, reference):
    counts = reference.online_retail_counts
    assert quality_counts(real_build)["exact duplicate of an earlier line"] == counts["duplicate_lines"]
    assert (
        real_build.scalar("select count(*) from staging.stg_online_retail__invoice_lines") == counts["distinct_lines"]
    )


def test_missing_reviews_file_is_reported(real_build):
    rows = real_build.query(
        "select rule, example_key from marts.data_quality_issues "
        "where issue_kind = 'missing_file' and source_table = 'olist__order_reviews'"
    )
    assert len(rows) == 1
    assert "olist_order_reviews_dataset.csv" in rows[0][0]
    assert real_build.scalar("select count(*) from staging.stg_olist__order_reviews") == 0
    assert "olist_order_reviews_dataset.csv" in real_build.output  # said in the build log too


def test_olist_dir_is_read_as_given(real_build):
    paths = real_build.query(
        "select file_path from staging.stg_landing__file_loads where store = 'olist' and status = 'found'"
    )
    assert paths and all(path.startswith(str(REAL_OLIST_DIR)) for (path,) in paths)
