"""Bad input through a real `dbt build`: the build stops with one message naming the file,
the column and what was expected, and the previously built warehouse keeps its data."""

from __future__ import annotations

import shutil

import pytest

from conftest import require_success, run_dbt_build

HEADER_I = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
GOOD_LINE = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom"


@pytest.fixture(scope="module")
def good_build(tmp_path_factory, synthetic_files):
    """A warehouse built from good files, copied per case so each case starts from it."""
    workdir = tmp_path_factory.mktemp("good_build")
    build = require_success(
        run_dbt_build(workdir, online_retail_path=synthetic_files / "online_retail" / "online_retail.csv")
    )
    return build


def fresh_copy(good_build, tmp_path):
    workdir = tmp_path / "build"
    workdir.mkdir()
    shutil.copy(good_build.warehouse, workdir / "warehouse.duckdb")
    return workdir


def write_online_retail(tmp_path, name: str, content: bytes | None):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "expected_parts"),
    [
        ("missing.csv", None, ["missing.csv", "file not found"]),
        ("empty.csv", b"", ["empty.csv", "file is empty (0 bytes)"]),
        (
            "renamed_column.csv",
            (HEADER_I.replace("CustomerID", "Customer") + "\n" + GOOD_LINE + "\n").encode(),
            ["renamed_column.csv", "column: CustomerID", "expected: Online Retail I or II header"],
        ),
        ("report.xlsx", b"%PDF-1.4 this is a pdf", ["report.xlsx", "not a readable .xlsx workbook"]),
        ("orders.csv.gz", (HEADER_I + "\n").encode(), ["orders.csv.gz", "not gzip-compressed"]),
    ],
)
def test_bad_online_retail_file_stops_the_build_and_keeps_the_warehouse(
    good_build, tmp_path, name, content, expected_parts
):
    path = write_online_retail(tmp_path, name, content)
    staged_before = good_build.scalar("select count(*) from staging.stg_online_retail__invoice_lines")
    build = run_dbt_build(fresh_copy(good_build, tmp_path), online_retail_path=path)
    assert build.returncode != 0
    for part in expected_parts:
        assert part in build.output, f"{part!r} not in the dbt output:\n{build.output[-3000:]}"
    assert build.scalar("select count(*) from staging.stg_online_retail__invoice_lines") == staged_before


def test_missing_required_olist_file_stops_the_build(good_build, synthetic_files, tmp_path):
    olist = tmp_path / "olist"
    shutil.copytree(synthetic_files / "olist", olist)
    (olist / "olist_customers_dataset.csv").unlink()
    build = run_dbt_build(fresh_copy(good_build, tmp_path), olist_dir=olist)
    assert build.returncode != 0
    assert "olist_customers_dataset.csv" in build.output
    assert "required Olist file not found" in build.output
