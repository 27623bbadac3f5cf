"""The bad-input matrix, through real `dbt build`s on files the tests write.

Every case ends one of two ways:
- handled: the build passes and publishes; the bad rows are quarantined with their reason and
  counted in marts.row_conservation and marts.data_quality_issues (nothing is lost);
- refused: the build stops with one error naming the file, the column (when one is at fault)
  and what was expected, and the served warehouse stays byte-identical.

Refused cases run `dbt build --fail-fast` (the landing error is the first failure; without
the flag dbt would go on building the other store for nothing); handled cases run a plain
`dbt build`. Both leave the ML models out (with_ml=False): the cases are about the input.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import xlsxwriter
from helpers import Build, require_success, run_dbt_build

from retail_warehouse.landing.readers import read_online_retail
from retail_warehouse.landing.specs import ONLINE_RETAIL_COLUMNS
from retail_warehouse.synth import MANIFEST_NAME

OR_TABLE = "online_retail__invoice_lines"
HEADER_I = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
GOOD = {
    "InvoiceNo": "999001",
    "StockCode": "85123A",
    "Description": "WHITE HANGING HEART T-LIGHT HOLDER",
    "Quantity": "6",
    "InvoiceDate": "2011-06-01 08:26:00",
    "UnitPrice": "2.55",
    "CustomerID": "17850",
    "Country": "United Kingdom",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_csv(path: Path, header: list[str], rows: list[dict], *, encoding="utf-8", delimiter=",") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def synthetic_lines(synthetic_files: Path, limit: int | None = None) -> list[dict]:
    with (synthetic_files / "online_retail" / "online_retail.csv").open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    return rows[:limit] if limit else rows


def line(**changes) -> dict:
    return {**GOOD, **changes}


# ---------------------------------------------------------------------------------------------
# Refused: one clear error, the served warehouse unchanged.


@dataclass
class Refused:
    online_retail_path: Path | str = ""
    olist_dir: Path | str = ""
    expected: tuple[str, ...] = ()


def case_missing_file(tmp, files):
    return Refused(tmp / "online_retail.csv", expected=("online_retail.csv", "file not found"))


def case_empty_file(tmp, files):
    path = tmp / "online_retail.csv"
    path.write_bytes(b"")
    return Refused(path, expected=("online_retail.csv", "file is empty (0 bytes)", "expected: a header row"))


def case_header_only(tmp, files):
    path = write_csv(tmp / "online_retail.csv", HEADER_I, [])
    return Refused(path, expected=("online_retail.csv", "has a header but no data rows"))


def case_missing_column(tmp, files):
    header = [name for name in HEADER_I if name != "CustomerID"]
    path = write_csv(tmp / "online_retail.csv", header, synthetic_lines(files, 200))
    return Refused(
        path, expected=("missing CustomerID", "column: CustomerID", "expected: Online Retail I or II header")
    )


def case_renamed_column(tmp, files):
    rows = [{**row, "Unit Price": row["UnitPrice"]} for row in synthetic_lines(files, 200)]
    header = ["Unit Price" if name == "UnitPrice" else name for name in HEADER_I]
    path = write_csv(tmp / "online_retail.csv", header, rows)
    return Refused(path, expected=("column: UnitPrice", "expected: Online Retail I or II header"))


def case_semicolon_delimiter_and_decimal_commas(tmp, files):
    rows = [{**row, "UnitPrice": row["UnitPrice"].replace(".", ",")} for row in synthetic_lines(files, 200)]
    path = write_csv(tmp / "online_retail.csv", HEADER_I, rows, delimiter=";")
    return Refused(
        path, expected=("separated by semicolons, not commas", "expected: a comma-separated CSV with a decimal point")
    )


def case_truncated_xlsx(tmp, files):
    good = files / "online_retail" / "Online Retail.xlsx"
    path = tmp / "Online Retail.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return Refused(path, expected=("Online Retail.xlsx", "not a readable .xlsx workbook", "expected: an .xlsx file"))


def case_gzip_that_is_not_gzip(tmp, files):
    path = tmp / "online_retail.csv.gz"
    shutil.copy(files / "online_retail" / "online_retail.csv", path)
    return Refused(
        path, expected=("online_retail.csv.gz", "named .gz but is not gzip-compressed", "expected: a gzip file")
    )


def case_sheet_with_a_renamed_column(tmp, files):
    """A second data sheet whose price column was renamed: refused, not skipped as notes."""
    path = tmp / "online_retail.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    renamed = ["Price" if name == "UnitPrice" else name for name in HEADER_I]
    for name, header in (("Online Retail", HEADER_I), ("Data 2", renamed)):
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate([header, [GOOD[name] for name in HEADER_I]]):
            sheet.write_row(r, 0, row)
    workbook.close()
    return Refused(path, expected=("[sheet 'Data 2']", "header matches no Online Retail layout", "column: UnitPrice"))


def case_ambiguous_day_month_order(tmp, files):
    """Every date d/m/y or m/d/y with both parts up to 12: which is the day cannot be told.
    Before, every line was quarantined and an empty Online Retail store published."""
    rows = [
        {**row, "InvoiceDate": f"{i % 12 + 1:02d}/06/2011 08:26"} for i, row in enumerate(synthetic_lines(files, 300))
    ]
    path = write_csv(tmp / "online_retail.csv", HEADER_I, rows)
    return Refused(
        path,
        expected=(
            "refused input file",
            "online_retail.csv: 300 of its 300 rows fail the quarantine rule",
            "the file's dates never tell which part is the day",
            '"invoice_date":"01/06/2011 08:26"',
            "var quarantine_max_share_per_rule",
        ),
    )


def case_dates_in_an_unknown_format(tmp, files):
    """Every date in a format staging does not read: the file is refused, not published empty."""
    rows = [{**row, "InvoiceDate": "1 June 2011, 08:26"} for row in synthetic_lines(files, 300)]
    path = write_csv(tmp / "online_retail.csv", HEADER_I, rows)
    return Refused(
        path,
        expected=(
            "refused input file",
            "online_retail.csv: 300 of its 300 rows fail the quarantine rule",
            "invoice_date is not a timestamp",
            '"invoice_date":"1 June 2011, 08:26"',
        ),
    )


def olist_copy(tmp, files) -> Path:
    folder = tmp / "olist"
    shutil.copytree(files / "olist", folder)
    return folder


def case_olist_zero_byte_csv(tmp, files):
    folder = olist_copy(tmp, files)
    (folder / "olist_order_payments_dataset.csv").write_bytes(b"")
    return Refused(olist_dir=folder, expected=("olist_order_payments_dataset.csv", "file is empty (0 bytes)"))


def case_olist_other_schema_version_renamed_column(tmp, files):
    folder = olist_copy(tmp, files)
    orders = folder / "olist_orders_dataset.csv"
    text = orders.read_text()
    orders.write_text(text.replace("order_purchase_timestamp", "order_purchase_date", 1))
    return Refused(
        olist_dir=folder,
        expected=(
            "olist_orders_dataset.csv",
            "column: order_purchase_timestamp",
            "expected: Olist olist_orders_dataset header",
        ),
    )


def case_olist_missing_required_file(tmp, files):
    folder = olist_copy(tmp, files)
    (folder / "olist_customers_dataset.csv").unlink()
    return Refused(olist_dir=folder, expected=("olist_customers_dataset.csv", "required Olist file not found"))


REFUSED_CASES = [
    case_missing_file,
    case_empty_file,
    case_header_only,
    case_missing_column,
    case_renamed_column,
    case_semicolon_delimiter_and_decimal_commas,
    case_truncated_xlsx,
    case_gzip_that_is_not_gzip,
    case_sheet_with_a_renamed_column,
    case_ambiguous_day_month_order,
    case_dates_in_an_unknown_format,
    case_olist_zero_byte_csv,
    case_olist_other_schema_version_renamed_column,
    case_olist_missing_required_file,
]


@dataclass
class RefusedRun:
    refused: Refused
    build: Build
    served_before: str
    served_after: str


@pytest.fixture(scope="module")
def refused_runs(synthetic_build, synthetic_files, tmp_path_factory) -> dict[str, RefusedRun]:
    """Every refused case's build, two at a time (each dbt process keeps about one core busy),
    each into its own copy of a good served warehouse."""

    def run(case) -> tuple[str, RefusedRun]:
        tmp = tmp_path_factory.mktemp(case.__name__)
        inputs = tmp / "inputs"
        inputs.mkdir()
        refused = case(inputs, synthetic_files)
        workdir = tmp / "build"
        workdir.mkdir()
        shutil.copy(synthetic_build.warehouse, workdir / "warehouse.duckdb")
        before = sha256(workdir / "warehouse.duckdb")
        build = run_dbt_build(
            workdir,
            online_retail_path=refused.online_retail_path,
            olist_dir=refused.olist_dir,
            extra_args=("--fail-fast",),
            with_ml=False,
        )
        return case.__name__, RefusedRun(refused, build, before, sha256(workdir / "warehouse.duckdb"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, REFUSED_CASES))


@pytest.mark.parametrize("case", REFUSED_CASES, ids=lambda case: case.__name__.removeprefix("case_"))
def test_refused_input_stops_the_build_with_one_clear_error_and_keeps_the_served_file(case, refused_runs):
    run = refused_runs[case.__name__]
    build = run.build
    assert build.returncode != 0
    for part in run.refused.expected:
        assert part in build.output, f"{part!r} not in the dbt output:\n{build.output[-4000:]}"
    # One error, from the landing plugin: every message naming an input file is the same one.
    messages = {
        text[text.index("input file ") :].strip() for text in build.output.splitlines() if "input file " in text
    }
    assert len(messages) == 1, messages
    assert "left unchanged" in build.output and not build.published
    assert run.served_after == run.served_before


# ---------------------------------------------------------------------------------------------
# Handled: one plain build over files full of row-level problems, structural variants that
# are fine (columns in another order, extra columns) and another Olist schema version.

# (case, file line to append, expected quarantine reason); the first good line is kept.
OR_ROW_CASES = [
    ("text_in_quantity", line(InvoiceNo="999101", Quantity="six"), "quantity is not an integer"),
    ("text_in_unit_price", line(InvoiceNo="999102", UnitPrice="n/a"), "unit_price is not a number"),
    ("decimal_comma", line(InvoiceNo="999103", UnitPrice="2,55"), "unit_price is not a number"),
    (
        "date_in_another_format",
        line(InvoiceNo="999104", InvoiceDate="01/06/2011 08:26"),
        "invoice_date is not a timestamp (YYYY-MM-DD HH:MM:SS)",
    ),
    ("future_date", line(InvoiceNo="999105", InvoiceDate="2099-06-01 08:26:00"), "invoice_date in the future"),
    (
        "negative_price",
        line(InvoiceNo="999106", UnitPrice="-2.55"),
        "negative unit_price outside a bad-debt adjustment",
    ),
    ("duplicate_line", line(InvoiceNo="999001"), "exact duplicate of an earlier line"),
]
# A good sale on a Saturday, a weekday Online Retail never sells on: kept and flagged.
OR_SATURDAY_SALE = line(InvoiceNo="999201", InvoiceDate="2011-06-04 10:00:00")
OR_EXTRA_COLUMN = "Notes"
OR_HEADER_REORDERED = ["Country", OR_EXTRA_COLUMN, *[name for name in HEADER_I if name != "Country"]]


@pytest.fixture(scope="module")
def handled_build(tmp_path_factory, synthetic_files) -> dict:
    tmp = tmp_path_factory.mktemp("handled")
    base_rows = synthetic_lines(synthetic_files)
    appended = [line(InvoiceNo="999001")] + [row for _, row, _ in OR_ROW_CASES] + [OR_SATURDAY_SALE]
    rows = [{**row, OR_EXTRA_COLUMN: "checked"} for row in base_rows + appended]
    online_retail = write_csv(tmp / "online_retail.csv", OR_HEADER_REORDERED, rows)
    first_appended_row = len(base_rows) + 1
    row_numbers = {case: first_appended_row + 1 + i for i, (case, _, _) in enumerate(OR_ROW_CASES)}

    olist = olist_copy(tmp, synthetic_files)
    # Another Olist schema version: columns in another order plus one this warehouse does not know.
    orders_path = olist / "olist_orders_dataset.csv"
    with orders_path.open(newline="") as stream:
        orders = list(csv.DictReader(stream))
    header = list(reversed(list(orders[0].keys()))) + ["order_channel"]
    orders = [{**order, "order_channel": "web"} for order in orders]
    orders.append(dict(orders[0]))  # duplicate key
    write_csv(orders_path, header, orders)
    items_path = olist / "olist_order_items_dataset.csv"
    with items_path.open(newline="") as stream:
        items = list(csv.DictReader(stream))
    items.append({**items[0], "order_item_id": "98", "price": "-12.50"})
    items.append({**items[0], "order_item_id": "99", "price": "12,50"})
    items.append({**items[0], "order_item_id": "0"})
    # A product id left blank (spaces): the line names no product (before the rule it failed
    # int_order_lines_unioned.product_id not_null and stopped the build).
    items.append({**items[0], "order_item_id": "97", "product_id": "  "})
    write_csv(items_path, list(items[0].keys()), items)
    payments = append_olist_rows(olist / "olist_order_payments_dataset.csv", {"payment_sequential": "0"})
    # State codes that cannot be read: a new customer, seller and geolocation row each.
    append_olist_rows(
        olist / "olist_customers_dataset.csv", {"customer_id": "unreadable-state", "customer_state": "Sao Paulo"}
    )
    append_olist_rows(olist / "olist_sellers_dataset.csv", {"seller_id": "unreadable-state", "seller_state": "5P"})
    append_olist_rows(olist / "olist_geolocation_dataset.csv", {"geolocation_state": "S."})

    build = require_published(
        run_dbt_build(tmp / "build", online_retail_path=online_retail, olist_dir=olist, with_ml=False)
    )
    return {
        "build": build,
        "or_rows": len(rows),
        "or_row_numbers": row_numbers,
        "orders_rows": len(orders),
        "duplicate_order_row": len(orders),
        "items_rows": len(items),
        "negative_item_row": len(items) - 3,
        "decimal_comma_item_row": len(items) - 2,
        "item_zero_row": len(items) - 1,
        "blank_product_row": len(items),
        "payment_zero_row": len(payments),
    }


def append_olist_rows(path: Path, changes: dict) -> list[dict]:
    """Append a copy of the file's first row with `changes` to an Olist CSV; its rows."""
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    rows.append({**rows[0], **changes})
    write_csv(path, list(rows[0].keys()), rows)
    return rows


def require_published(build: Build) -> Build:
    assert build.returncode == 0 and build.published, build.output[-5000:]
    return build


def quarantine_reason(build: Build, source_table: str, row_number: int):
    rows = build.query(
        "select quarantine_reason from intermediate.int_source_rows_quarantined "
        "where source_table = ? and source_row_number = ?",
        [source_table, row_number],
    )
    return rows[0][0] if rows else None


@pytest.mark.parametrize(("case", "row", "reason"), OR_ROW_CASES, ids=[case for case, _, _ in OR_ROW_CASES])
def test_row_level_problem_is_quarantined_and_counted(handled_build, case, row, reason):
    build = handled_build["build"]
    row_number = handled_build["or_row_numbers"][case]
    assert quarantine_reason(build, OR_TABLE, row_number) == reason
    assert (
        build.scalar(
            "select count(*) from marts.data_quality_issues "
            "where source_table = ? and rule = ? and issue_kind = 'quarantined' and rows >= 1",
            [OR_TABLE, reason],
        )
        == 1
    )


def rows_differing(
    build: Build, other: Build, table: str, where: str = "true", exclude: tuple[str, ...] = ("source_file",)
) -> tuple[int, int]:
    """Rows of `table` (every column but the input file's path, or those of `exclude` the
    table has) only in `build` (those passing `where`), and only in `other`: two builds read
    the same rows when both are 0."""
    with duckdb.connect() as con:
        con.execute(f"attach '{build.warehouse}' as left_build (read_only)")
        con.execute(f"attach '{other.warehouse}' as right_build (read_only)")
        schema, name = table.split(".")
        present = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = 'left_build' and table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
        }
        columns = ", ".join(column for column in exclude if column in present)
        star = f"* exclude ({columns})" if columns else "*"
        left = f"select {star} from left_build.{table} where {where}"
        right = f"select {star} from right_build.{table}"
        return tuple(
            con.execute(f"select count(*) from ({first} except all {second})").fetchone()[0]
            for first, second in ((left, right), (right, left))
        )


def test_columns_in_another_order_and_an_extra_column_are_read_by_name(handled_build, synthetic_build):
    build = handled_build["build"]
    # The file's lines before the appended ones are those of the synthetic build's file:
    # read by name, they stage to the same rows, every column.
    first_appended = handled_build["or_row_numbers"]["text_in_quantity"] - 1
    assert rows_differing(
        build, synthetic_build, "staging.stg_online_retail__invoice_lines", f"source_row_number < {first_appended}"
    ) == (0, 0)
    # The first appended line is good (the duplicate_line case repeats it): staged, by name.
    assert quarantine_reason(build, OR_TABLE, first_appended) is None
    assert build.query(
        "select invoice_no, country, unit_price::double, quantity from staging.stg_online_retail__invoice_lines "
        "where source_row_number = ?",
        [first_appended],
    ) == [("999001", "United Kingdom", 2.55, 6)]
    columns = {
        row[0]
        for row in build.query(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [OR_TABLE],
        )
    }
    assert OR_EXTRA_COLUMN not in columns and "notes" not in columns


def test_nothing_is_lost_row_conservation_holds_for_every_table(handled_build):
    build = handled_build["build"]
    conservation = {
        row[0]: row[1:]
        for row in build.query(
            "select source_table, raw_rows, staged_rows, quarantined_rows from marts.row_conservation"
        )
    }
    assert conservation[OR_TABLE][0] == handled_build["or_rows"]
    assert conservation["olist__orders"][0] == handled_build["orders_rows"]
    assert conservation["olist__order_items"][0] == handled_build["items_rows"]
    for table, (raw, staged, quarantined) in conservation.items():
        assert raw == staged + quarantined, table


def test_olist_other_schema_version_extra_and_reordered_columns_are_handled(handled_build, synthetic_build):
    """The orders file with its columns reversed, one unknown column and a duplicate order
    appended: the extra column is named and ignored, and the staged orders are those of the
    original file, every column of every row (the duplicate is quarantined)."""
    build = handled_build["build"]
    assert "order_channel are not in the Olist layout this warehouse reads; ignored" in build.output
    assert rows_differing(build, synthetic_build, "staging.stg_olist__orders") == (0, 0)


@pytest.mark.parametrize(
    ("case", "source_table", "row_key", "reason"),
    [
        ("olist_duplicate_key", "olist__orders", "duplicate_order_row", "duplicate order_id"),
        ("olist_negative_price", "olist__order_items", "negative_item_row", "negative price"),
        ("olist_decimal_comma", "olist__order_items", "decimal_comma_item_row", "price is not a number"),
        ("olist_item_numbered_0", "olist__order_items", "item_zero_row", "order_item_id below 1"),
        ("olist_item_blank_product", "olist__order_items", "blank_product_row", "missing product_id"),
        ("olist_payment_numbered_0", "olist__order_payments", "payment_zero_row", "payment_sequential below 1"),
    ],
)
def test_olist_row_level_problem_is_quarantined_and_counted(handled_build, case, source_table, row_key, reason):
    build = handled_build["build"]
    assert quarantine_reason(build, source_table, handled_build[row_key]) == reason
    assert (
        build.scalar(
            "select sum(rows) from marts.data_quality_issues "
            "where source_table = ? and rule = ? and issue_kind = 'quarantined'",
            [source_table, reason],
        )
        >= 1
    )


@pytest.mark.parametrize(
    ("source_table", "rule", "example_key"),
    [
        ("olist__customers", "customer_state not two letters (kept as null)", "unreadable-state"),
        ("olist__sellers", "seller_state not two letters (kept as null)", "unreadable-state"),
        ("olist__geolocation", "geolocation_state not two letters (kept as null)", None),
    ],
    ids=["customer", "seller", "geolocation"],
)
def test_an_unreadable_olist_state_is_kept_as_null_and_flagged(handled_build, source_table, rule, example_key):
    """A state code that is not two letters is no reason to lose the row: kept, state null."""
    build = handled_build["build"]
    flagged = build.query(
        "select rows, example_key from marts.data_quality_issues where source_table = ? and rule = ? "
        "and issue_kind = 'flagged'",
        [source_table, rule],
    )
    assert [count for count, _ in flagged] == [1]
    if example_key:
        assert flagged[0][1] == example_key
    assert (
        build.scalar(
            "select count(*) from marts.data_quality_issues where source_table = ? and issue_kind = 'quarantined' "
            "and rule like '%state%'",
            [source_table],
        )
        == 0
    )
    kept = {
        "olist__customers": "select customer_state from staging.stg_olist__customers where is_customer_state_unreadable",
        "olist__sellers": "select seller_state from staging.stg_olist__sellers where is_seller_state_unreadable",
        "olist__geolocation": "select state from staging.stg_olist__geolocations where is_state_unreadable",
    }[source_table]
    assert build.query(kept) == [(None,)]


def test_a_sale_on_a_closed_weekday_is_kept_and_flagged(handled_build):
    """Online Retail never sells on a Saturday: a Saturday sale is a real order, kept in the
    marts and counted in marts.data_quality_issues, never an error."""
    build = handled_build["build"]
    rule = "sale order on a weekday the store is normally closed (kept)"
    assert build.query(
        "select store, rows, example_key from marts.data_quality_issues where rule = ? order by store", [rule]
    ) == [("olist", 0, None), ("online_retail", 1, OR_SATURDAY_SALE["InvoiceNo"])]
    assert build.query(
        "select order_type, isodow(order_date) from marts.fct_orders where order_key = ?",
        [f"online_retail:{OR_SATURDAY_SALE['InvoiceNo']}"],
    ) == [("sale", 6)]


def rename_sheets(source: Path, target: Path, names: dict[str, str]) -> Path:
    """A copy of a workbook whose sheets someone renamed (xl/workbook.xml holds the names)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode("utf-8")
                for old, new in names.items():
                    assert f'name="{old}"' in text
                    text = text.replace(f'name="{old}"', f'name="{new}"')
                data = text.encode("utf-8")
            zout.writestr(item, data)
    return target


def test_wrong_sheet_names_are_handled_sheets_are_recognised_by_their_header(synthetic_files, tmp_path):
    from python_calamine import CalamineWorkbook

    source = synthetic_files / "online_retail" / "online_retail_II.xlsx"
    original = CalamineWorkbook.from_path(str(source)).sheet_names
    renamed = {name: f"Sheet{i + 1}" for i, name in enumerate(original)}
    path = rename_sheets(source, tmp_path / "online_retail_II.xlsx", renamed)
    assert CalamineWorkbook.from_path(str(path)).sheet_names == list(renamed.values())
    build = require_published(run_dbt_build(tmp_path / "build", online_retail_path=path, with_ml=False))
    sheets = dict(build.query("select _source_sheet, count(*) from raw.online_retail__invoice_lines group by 1"))
    landed = read_online_retail(source, ONLINE_RETAIL_COLUMNS)
    expected = {renamed[name]: landed.column("_source_sheet").to_pylist().count(name) for name in original}
    assert sheets == expected
    assert (
        build.scalar("select count(*) from marts.row_conservation where raw_rows <> staged_rows + quarantined_rows")
        == 0
    )


def test_online_retail_ii_sheets_overlapping_count_each_line_once(synthetic_files, tmp_path):
    """The Online Retail II workbook repeats 2010-12-01..09 in both sheets, as the UCI file does
    (the synthetic generator writes that overlap): the second copy of each line is quarantined
    as an exact duplicate, and the lines, orders and sales are those of the II CSV, which holds
    each line once."""
    folder = synthetic_files / "online_retail"
    in_two_sheets = json.loads((synthetic_files / MANIFEST_NAME).read_text())["files"][
        "online_retail/online_retail_II.xlsx"
    ]["rows_in_two_sheets"]
    assert in_two_sheets > 0
    # The two builds are apart: they run side by side (each dbt process keeps about one core busy).
    with ThreadPoolExecutor(max_workers=2) as pool:
        workbook_run, csv_run = (
            pool.submit(run_dbt_build, tmp_path / name, online_retail_path=folder / file_name, with_ml=False)
            for name, file_name in (("workbook", "online_retail_II.xlsx"), ("csv", "online_retail_II.csv"))
        )
        workbook, csv_build = require_published(workbook_run.result()), require_published(csv_run.result())
    # Every line of the overlap's second copy, and no other line of the second sheet, is quarantined.
    second_copies = workbook.query(
        "select quarantine_reason, count(*) from staging.base_online_retail__invoice_lines "
        "where source_sheet = 'Year 2010-2011' and invoiced_at < '2010-12-10' group by all"
    )
    assert second_copies == [("exact duplicate of an earlier line", in_two_sheets)]
    # Counted once: the workbook's staged lines, order lines and daily sales are the CSV's.
    source = ("source_file", "source_sheet", "source_row_number")
    assert rows_differing(workbook, csv_build, "staging.stg_online_retail__invoice_lines", exclude=source) == (0, 0)
    assert workbook.scalar("select count(*) from marts.fct_order_lines where store = 'online_retail'") > 0
    for table in ("marts.fct_order_lines", "marts.fct_orders", "marts.sales_daily"):
        assert rows_differing(workbook, csv_build, table) == (0, 0), table
    assert (
        workbook.scalar("select count(*) from marts.row_conservation where raw_rows <> staged_rows + quarantined_rows")
        == 0
    )


def test_a_workbook_sheet_of_notes_is_skipped_and_listed(synthetic_files, tmp_path):
    """A workbook with a pivot sheet beside the data lands its data sheet; the pivot is named
    in a warning and in raw.landing__file_loads.skipped_sheets (before, the file was refused)."""
    rows = synthetic_lines(synthetic_files, 2000)
    path = tmp_path / "online_retail.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    data = workbook.add_worksheet("Online Retail")
    for r, row in enumerate([HEADER_I, *[[line[name] for name in HEADER_I] for line in rows]]):
        data.write_row(r, 0, row)
    workbook.add_worksheet("Pivot").write_row(0, 0, ["Country", "Revenue"])
    workbook.close()
    build = require_published(run_dbt_build(tmp_path / "build", online_retail_path=path, with_ml=False))
    assert "sheet(s) 'Pivot' skipped" in build.output
    assert build.query("select skipped_sheets from raw.landing__file_loads where source_table = ?", [OR_TABLE]) == [
        (["Pivot"],)
    ]
    assert build.query("select distinct _source_sheet from raw.online_retail__invoice_lines") == [("Online Retail",)]
    assert build.scalar("select count(*) from raw.online_retail__invoice_lines") == len(rows)


def test_a_day_first_export_is_read_day_first(synthetic_build, synthetic_files, tmp_path):
    """Spreadsheet exports write 13/06/2011 8:26:00: the order is read from the data (a first
    part above 12), recorded per file and per line, and every line gets the date of the ISO file."""

    def day_first(text: str) -> str:
        day, time = text.split(" ")
        year, month, date = day.split("-")
        return f"{int(date)}/{int(month)}/{year} {time}"

    rows = [{**row, "InvoiceDate": day_first(row["InvoiceDate"])} for row in synthetic_lines(synthetic_files)]
    path = write_csv(tmp_path / "online_retail.csv", HEADER_I, rows)
    build = require_success(run_dbt_build(tmp_path / "build", online_retail_path=path, with_ml=False))
    lines = "select source_row_number, invoiced_at from staging.stg_online_retail__invoice_lines order by 1"
    assert build.query(lines) == synthetic_build.query(lines)
    assert build.query("select distinct invoice_date_order from staging.stg_online_retail__invoice_lines") == [
        ("day_first",)
    ]
    assert build.query("select source_table, date_order from raw.landing__file_loads where date_order is not null") == [
        (OR_TABLE, "day_first")
    ]
    flagged = build.scalar(
        "select rows from marts.data_quality_issues where rule = 'invoice_date written day-first (read as such)'"
    )
    assert flagged == build.scalar("select count(*) from staging.stg_online_retail__invoice_lines")


def test_a_windows_1252_export_is_read_and_its_encoding_recorded(synthetic_files, tmp_path):
    """Excel on Windows writes CSVs in Windows-1252: the text is read as written (the pound and
    euro signs), and raw.landing__file_loads records the encoding."""
    rows = synthetic_lines(synthetic_files, 300) + [line(Description="GIFT VOUCHER £10 / €12")]
    path = write_csv(tmp_path / "online_retail.csv", HEADER_I, rows, encoding="cp1252")
    build = require_success(run_dbt_build(tmp_path / "build", online_retail_path=path, with_ml=False))
    assert build.scalar("select encoding from raw.landing__file_loads where source_table = ?", [OR_TABLE]) == "cp1252"
    assert build.scalar("select count(*) from raw.online_retail__invoice_lines") == 301
    assert build.query(
        "select description from staging.stg_online_retail__invoice_lines where description like 'GIFT VOUCHER%'"
    ) == [("GIFT VOUCHER £10 / €12",)]


def test_a_line_beyond_the_line_limit_is_quarantined_and_its_file_lands(synthetic_files, tmp_path):
    """A CSV line longer than the reader's line limit (64 MiB; lowered here to 100,000 bytes by
    env RETAIL_WAREHOUSE_MAX_LINE_BYTES, as the reader honours it) is quarantined as one row,
    "line longer than 100,000 bytes", its fields cut to 1,000 characters; the file lands, its
    other lines with their own row numbers. Before, the file was refused (CSV Error on Line:
    <n>: Maximum line size ... exceeded). An Online Retail .csv.gz and an Olist .csv.gz."""
    import gzip

    limit = 100_000
    reason = f"line longer than {limit:,} bytes"
    rows = synthetic_lines(synthetic_files, 2000)
    long_row = 1001
    rows.insert(long_row - 1, line(InvoiceNo="999301", Description="LONG " + "x" * (limit + 50_000)))
    plain = write_csv(tmp_path / "plain.csv", HEADER_I, rows)
    online_retail = tmp_path / "online_retail.csv.gz"
    online_retail.write_bytes(gzip.compress(plain.read_bytes()))

    olist = olist_copy(tmp_path, synthetic_files)
    reviews_path = olist / "olist_order_reviews_dataset.csv"
    with reviews_path.open(newline="") as stream:
        reviews = list(csv.DictReader(stream))
    long_review_row = 5
    reviews[long_review_row - 1]["review_comment_message"] = "m" * (limit + 1)
    write_csv(reviews_path, list(reviews[0].keys()), reviews)
    (olist / "olist_order_reviews_dataset.csv.gz").write_bytes(gzip.compress(reviews_path.read_bytes()))
    reviews_path.unlink()

    build = require_published(
        run_dbt_build(
            tmp_path / "build",
            online_retail_path=online_retail,
            olist_dir=olist,
            extra_env={"RETAIL_WAREHOUSE_MAX_LINE_BYTES": str(limit)},
            with_ml=False,
        )
    )
    assert quarantine_reason(build, OR_TABLE, long_row) == reason
    assert quarantine_reason(build, "olist__order_reviews", long_review_row) == reason
    assert build.query(
        "select source_table, rows, example_key from marts.data_quality_issues "
        "where rule = ? and issue_kind = 'quarantined' order by 1",
        [reason],
    ) == [
        ("olist__order_reviews", 1, " / ".join(reviews[long_review_row - 1][k] for k in ("review_id", "order_id"))),
        (OR_TABLE, 1, "999301 / 85123A"),
    ]
    # The long line is kept cut, with its row number and source file; every line is landed once.
    assert build.query(
        "select invoice_no, length(description), _source_row_number, _source_file, _source_line_problem "
        "from raw.online_retail__invoice_lines where _source_line_problem is not null"
    ) == [("999301", 1000, long_row, str(online_retail), reason)]
    assert build.scalar("select max(length(review_comment_message)) from raw.olist__order_reviews") == 1000
    conservation = {
        row[0]: row[1:]
        for row in build.query(
            "select source_table, raw_rows, staged_rows + quarantined_rows from marts.row_conservation"
        )
    }
    assert conservation[OR_TABLE] == (len(rows), len(rows))
    assert conservation["olist__order_reviews"] == (len(reviews), len(reviews))
    # The other lines keep their row numbers: each staged line is the file's line of its number.
    staged = build.query("select source_row_number, invoice_no from staging.stg_online_retail__invoice_lines")
    assert len(staged) > len(rows) // 2
    assert all(rows[number - 1]["InvoiceNo"] == invoice for number, invoice in staged)
    assert any(number > long_row for number, _ in staged)
    staged_reviews = build.query("select source_row_number, review_id from staging.stg_olist__order_reviews")
    assert all(reviews[number - 1]["review_id"] == review for number, review in staged_reviews)
