"""The whole pipeline on the real files in ../shared/data, checked against the raw files.

The expected counts are computed here straight from the raw files with plain DuckDB SQL,
apart from the dbt models, or taken from ../shared/data/MANIFEST.md.
"""

from __future__ import annotations

import duckdb
import pytest
from helpers import REAL_OLIST_DIR, REAL_ONLINE_RETAIL_CSV

pytestmark = pytest.mark.real_data

# Rows per file, from ../shared/data/MANIFEST.md.
MANIFEST_ROWS = {
    "online_retail__invoice_lines": 541_909,
    "olist__orders": 99_441,
    "olist__customers": 99_441,
    "olist__order_items": 112_650,
    "olist__order_payments": 103_886,
    "olist__products": 32_951,
    "olist__sellers": 3_095,
    "olist__geolocation": 1_000_163,
    "olist__product_category_name_translation": 71,
    "olist__order_reviews": 0,  # the real reviews file is not available yet
}


def read_raw_online_retail(con: duckdb.DuckDBPyConnection) -> None:
    """The raw CSV, typed by hand, exact duplicates collapsed (staging keeps the first)."""
    con.execute(
        f"""
        create table raw_lines as
        select distinct * from read_csv('{REAL_ONLINE_RETAIL_CSV}', header = true, all_varchar = true)
        """
    )


@pytest.fixture(scope="module")
def raw_lines():
    con = duckdb.connect()
    read_raw_online_retail(con)
    yield con
    con.close()


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
    assert real_csv_build.scalar("select count(*) from raw.online_retail__invoice_lines") == 541_909
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


@pytest.mark.parametrize(
    ("rule", "raw_condition"),
    [
        ("cancellation line (invoice C...)", "InvoiceNo like 'C%'"),
        ("negative quantity", "Quantity::int < 0"),
        ("negative quantity outside a cancellation (stock write-off)", "Quantity::int < 0 and InvoiceNo not like 'C%'"),
        ("missing customer_id", "CustomerID is null"),
        ("missing description", "Description is null"),
        ("zero unit_price", "UnitPrice::double = 0"),
        ("negative unit_price (bad-debt adjustment)", "UnitPrice::double < 0"),
        ("bad-debt adjustment line (invoice A...)", "InvoiceNo like 'A%'"),
        ("bulk outlier line (|quantity| >= 10000)", "abs(Quantity::int) >= 10000"),
        ("country under a non-standard name (EIRE, RSA)", "Country in ('EIRE', 'RSA')"),
    ],
)
def test_online_retail_quirk_counts_match_the_raw_file(real_build, raw_lines, rule, raw_condition):
    expected = raw_lines.execute(f"select count(*) from raw_lines where {raw_condition}").fetchone()[0]
    assert quality_counts(real_build)[rule] == expected


def test_exact_duplicates_are_quarantined_not_lost(real_build, raw_lines):
    distinct_rows = raw_lines.execute("select count(*) from raw_lines").fetchone()[0]
    assert distinct_rows == 536_641  # MANIFEST: 541,909 lines, 536,641 distinct
    assert quality_counts(real_build)["exact duplicate of an earlier line"] == 541_909 - distinct_rows
    assert real_build.scalar("select count(*) from staging.stg_online_retail__invoice_lines") == distinct_rows


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
