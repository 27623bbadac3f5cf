"""Unit tests of the inputs a build with no input given reuses: those the served warehouse
recorded in raw.landing__file_loads, never synthetic data over a warehouse built from real
files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from retail_warehouse.landing.errors import InputFileError
from retail_warehouse.landing.inputs import reuse_recorded_inputs


def served_warehouse(path: Path, rows: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.landing__file_loads (store varchar, source_table varchar, file_path varchar, "
            "status varchar, is_required boolean, is_synthetic boolean, detail varchar)"
        )
        con.executemany("insert into raw.landing__file_loads values (?, ?, ?, ?, ?, ?, ?)", rows)
    return path


def test_a_warehouse_built_from_real_files_gives_back_its_inputs(tmp_path):
    online_retail = tmp_path / "Online Retail.xlsx"
    online_retail.write_bytes(b"x")
    olist = tmp_path / "olist"
    olist.mkdir()
    served = served_warehouse(
        tmp_path / "w.duckdb",
        [
            ("online_retail", "online_retail__invoice_lines", str(online_retail), "found", True, False, None),
            ("olist", "olist__orders", str(olist / "olist_orders_dataset.csv.gz"), "found", True, False, None),
            (
                "olist",
                "olist__order_reviews",
                str(olist / "olist_order_reviews_dataset.csv"),
                "missing",
                False,
                False,
                "x",
            ),
        ],
    )
    assert reuse_recorded_inputs(served) == (str(online_retail), str(olist))


def test_a_store_not_given_stays_not_given(tmp_path):
    olist = tmp_path / "olist"
    olist.mkdir()
    served = served_warehouse(
        tmp_path / "w.duckdb",
        [
            ("online_retail", "online_retail__invoice_lines", None, "store_not_given", True, False, "x"),
            ("olist", "olist__orders", str(olist / "olist_orders_dataset.csv"), "found", True, False, None),
        ],
    )
    assert reuse_recorded_inputs(served) == ("", str(olist))


def test_synthetic_or_absent_warehouse_records_nothing_to_reuse(tmp_path):
    assert reuse_recorded_inputs(tmp_path / "absent.duckdb") is None
    served = served_warehouse(
        tmp_path / "w.duckdb",
        [("online_retail", "online_retail__invoice_lines", "data/synthetic/x.csv", "found", True, True, None)],
    )
    assert reuse_recorded_inputs(served) is None


def test_recorded_real_files_that_are_gone_refuse_the_build_rather_than_use_synthetic_data(tmp_path):
    gone = tmp_path / "gone.xlsx"
    served = served_warehouse(
        tmp_path / "w.duckdb",
        [("online_retail", "online_retail__invoice_lines", str(gone), "found", True, False, None)],
    )
    with pytest.raises(InputFileError) as error:
        reuse_recorded_inputs(served)
    message = str(error.value)
    assert str(gone) in message and "not found" in message and "use_synthetic_data" in message
