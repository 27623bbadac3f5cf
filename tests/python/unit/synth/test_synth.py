"""The synthetic data generator: exact formats, determinism, quirks as counted in the manifest."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from helpers import SHARED_DATA
from python_calamine import CalamineWorkbook

from retail_warehouse.landing.specs import OLIST_FILES, ONLINE_RETAIL_VERSIONS
from retail_warehouse.synth import MANIFEST_NAME, generate
from retail_warehouse.synth.calendar import chunk_plan

LINES = 2000
SEED = 7

OR_I_CSV = "online_retail/online_retail.csv"
OR_II_CSV = "online_retail/online_retail_II.csv"
OR_I_XLSX = "online_retail/Online Retail.xlsx"
OR_II_XLSX = "online_retail/online_retail_II.xlsx"
OLIST_CSVS = {spec.table: f"olist/{spec.file_stem}.csv" for spec in OLIST_FILES}
CSV_COLUMNS = {
    OR_I_CSV: ONLINE_RETAIL_VERSIONS[0].source_columns,
    OR_II_CSV: ONLINE_RETAIL_VERSIONS[1].source_columns,
    **{OLIST_CSVS[spec.table]: spec.columns for spec in OLIST_FILES},
}
ALL_FILES = [*CSV_COLUMNS, OR_I_XLSX, OR_II_XLSX, MANIFEST_NAME]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synth")
    manifest = generate(out, lines=LINES, seed=SEED)
    return out, manifest


@pytest.fixture(scope="module")
def con(generated):
    """DuckDB views over every CSV, read strictly: explicit columns, all text."""
    out, _ = generated
    connection = duckdb.connect()
    for path, columns in CSV_COLUMNS.items():
        view = Path(path).stem.lower().replace(" ", "_")
        connection.execute(f"create view {view} as select * from {strict_read(out / path, columns)}")
    yield connection
    connection.close()


def strict_read(path: Path, columns) -> str:
    struct = ", ".join(f"'{name}': 'VARCHAR'" for name in columns)
    return (
        f"read_csv('{path}', header = true, all_varchar = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', columns = {{{struct}}})"
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


# -- determinism ------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(generated, tmp_path):
    out, _ = generated
    generate(tmp_path, lines=LINES, seed=SEED)
    for name in ALL_FILES:
        assert sha256(tmp_path / name) == sha256(out / name), name


def test_worker_processes_do_not_change_bytes(tmp_path):
    generate(tmp_path / "one", lines=300, seed=SEED, workers=1)
    generate(tmp_path / "two", lines=300, seed=SEED, workers=2)
    for name in ALL_FILES:
        assert sha256(tmp_path / "one" / name) == sha256(tmp_path / "two" / name), name


def test_other_seed_gives_other_bytes(generated, tmp_path):
    out, _ = generated
    generate(tmp_path, lines=LINES, seed=SEED + 1)
    fixed_vocabulary = OLIST_CSVS["product_category_name_translation"]
    for name in ALL_FILES:
        if name != fixed_vocabulary:
            assert sha256(tmp_path / name) != sha256(out / name), name


# -- formats ----------------------------------------------------------------------------


def real_header(relative: str) -> bytes | None:
    real = SHARED_DATA / f"{relative}.gz"
    if not real.exists():
        return None
    with gzip.open(real, "rb") as stream:
        return stream.readline()


EXPECTED_HEADERS = {
    OR_I_CSV: b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n",
    OR_II_CSV: b"Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n",
    OLIST_CSVS["order_reviews"]: b'"review_id","order_id","review_score","review_comment_title",'
    b'"review_comment_message","review_creation_date","review_answer_timestamp"\n',
    OLIST_CSVS[
        "product_category_name_translation"
    ]: "\ufeffproduct_category_name,product_category_name_english\r\n".encode(),
}


@pytest.mark.parametrize("path", list(CSV_COLUMNS))
def test_header_is_the_real_one(generated, path):
    out, _ = generated
    with (out / path).open("rb") as stream:
        header = stream.readline()
    expected = real_header(path) or EXPECTED_HEADERS.get(path)
    if expected is None:  # real file absent: build it the Olist way
        expected = (",".join(f'"{name}"' for name in CSV_COLUMNS[path]) + "\n").encode()
    assert header == expected


@pytest.mark.parametrize("path", list(CSV_COLUMNS))
def test_csv_parses_strictly_with_manifest_row_count(generated, con, path):
    _, manifest = generated
    out, _ = generated
    rows = scalar(con, f"select count(*) from {strict_read(out / path, CSV_COLUMNS[path])}")
    assert rows == manifest["files"][path]["rows"] > 0


def count_where(con, view: str, condition: str) -> int:
    return scalar(con, f"select count(*) from {view} where {condition}")


def test_online_retail_text_forms(con):
    timestamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:00"  # seconds always 00
    assert count_where(con, "online_retail", f"not regexp_full_match(InvoiceDate, '{timestamp}')") == 0
    assert scalar(con, "select min(InvoiceDate) >= '2010-12-01' and max(InvoiceDate) < '2011-12-10' from online_retail")
    assert count_where(con, "online_retail", r"not regexp_full_match(InvoiceNo, '[CA]?\d{6,}')") == 0
    assert count_where(con, "online_retail", r"not regexp_full_match(CustomerID, '\d+')") == 0
    # UnitPrice as Python wrote the floats: always with a decimal point ('18.0').
    assert count_where(con, "online_retail", r"not regexp_full_match(UnitPrice, '-?\d+\.\d+')") == 0
    assert count_where(con, "online_retail", r"regexp_full_match(StockCode, '\d{5}[A-Z]?')") > 0.9 * LINES
    # The II csv writes Customer ID as a float.
    assert count_where(con, "online_retail_ii", r"""not regexp_full_match("Customer ID", '\d+\.0')""") == 0
    assert scalar(con, "select min(InvoiceDate) < '2010-01-01' and max(InvoiceDate) > '2011-06' from online_retail_ii")


def test_online_retail_csv_is_lf_without_bom(generated):
    out, _ = generated
    data = (out / OR_I_CSV).read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")


def test_olist_quoting_oddities(generated):
    out, _ = generated
    orders = (out / OLIST_CSVS["orders"]).read_text(encoding="utf-8")
    # Ids starting with a digit are quoted, the others are not.
    assert not re.search(r"(^|,)[0-9][0-9a-f]{31}(,|$)", orders, re.M)
    assert re.search(r'(^|,)"[0-9][0-9a-f]{31}"(,|$)', orders, re.M)
    assert re.search(r"(^|,)[a-f][0-9a-f]{31}(,|$)", orders, re.M)
    customers = (out / OLIST_CSVS["customers"]).read_text(encoding="utf-8")
    assert re.search(r',"0\d{4}",', customers)  # zip prefixes keep their leading zero
    assert not re.search(r",\d{5},", customers)
    translation = (out / OLIST_CSVS["product_category_name_translation"]).read_bytes()
    assert translation.startswith(b"\xef\xbb\xbf") and b"\r\n" in translation
    assert translation.count(b"\n") == translation.count(b"\r\n")


def test_olist_value_forms(con):
    assert count_where(con, "olist_order_items_dataset", r"not regexp_full_match(price, '\d+\.\d\d')") == 0
    assert count_where(con, "olist_orders_dataset", "not regexp_full_match(order_id, '[0-9a-f]{32}')") == 0
    assert (
        count_where(con, "olist_orders_dataset", "order_purchase_timestamp not between '2016-09' and '2018-10-18'") == 0
    )
    reviews = "olist_order_reviews_dataset"
    assert count_where(con, reviews, "review_creation_date not like '% 00:00:00'") == 0
    assert count_where(con, reviews, "review_answer_timestamp <= review_creation_date") == 0
    assert count_where(con, reviews, "review_comment_message like '%,%'") > 0


# -- quirks, counted on the files, equal to the manifest -----------------------------------


def test_online_retail_quirks_match_manifest(generated, con):
    _, manifest = generated
    for view, key in (("online_retail", "online_retail"), ("online_retail_ii", "online_retail_ii")):
        quirks = manifest["quirks"][key]
        invoice = "InvoiceNo" if view == "online_retail" else "Invoice"
        customer = "CustomerID" if view == "online_retail" else '"Customer ID"'
        price = "UnitPrice" if view == "online_retail" else "Price"
        cancelled = f"{invoice} like 'C%'"
        counts = {
            "cancellation_lines": f"count(*) filter ({cancelled})",
            "negative_quantity_not_cancellation": f"count(*) filter (Quantity::int < 0 and not {cancelled})",
            "missing_customer_id": f"count(*) filter ({customer} is null)",
            "missing_description": "count(*) filter (Description is null)",
            "zero_price": f"count(*) filter ({price}::double = 0)",
            "negative_price": f"count(*) filter ({price}::double < 0)",
            "bad_debt_lines": f"count(*) filter ({invoice} like 'A%')",
            "duplicate_lines": f"count(*) - (select count(*) from (select distinct * from {view}))",
            "saturday_lines": "count(*) filter (dayofweek(InvoiceDate::timestamp) = 6)",
        }
        for name, expression in counts.items():
            assert scalar(con, f"select {expression} from {view}") == quirks[name], (view, name)
        for name in ("cancellation_lines", "missing_customer_id", "duplicate_lines", "zero_price", "bad_debt_lines"):
            assert quirks[name] > 0, (view, name)
        assert count_where(con, view, f"{cancelled} and Quantity::int >= 0") == 0
        # Negative quantities outside cancellations are stock write-offs at price 0.
        assert count_where(con, view, f"Quantity::int < 0 and not {cancelled} and {price}::double <> 0") == 0
        # The bulk order and its cancellation.
        assert count_where(con, view, "abs(Quantity::int) >= 50000") == quirks["bulk_quantity_lines"] > 0


def test_online_retail_cancellations_mirror_earlier_sales(con):
    mirrored = scalar(
        con,
        """
        select count(*) from online_retail c
        where c.InvoiceNo like 'C%' and exists (
            select 1 from online_retail s
            where s.InvoiceNo not like 'C%' and s.CustomerID = c.CustomerID and s.StockCode = c.StockCode
              and s.UnitPrice = c.UnitPrice and s.InvoiceDate::timestamp <= c.InvoiceDate::timestamp)
    """,
    )
    assert mirrored > 0.5 * scalar(con, "select count(*) from online_retail where InvoiceNo like 'C%'")


def groups_having(table: str, key: str, condition: str) -> str:
    return f"select count(*) from (select {key} from {table} group by 1 having {condition})"


def test_olist_quirks_match_manifest(generated, con):
    _, manifest = generated
    quirks = manifest["quirks"]["olist"]
    orders, reviews, geolocation = "olist_orders_dataset", "olist_order_reviews_dataset", "olist_geolocation_dataset"
    outside_brazil = (
        "geolocation_lat::double not between -33.75 and 5.27 or geolocation_lng::double not between -73.99 and -34.79"
    )
    checks = {
        ("customers", "unique_customers_with_several_customer_ids"): groups_having(
            "olist_customers_dataset", "customer_unique_id", "count(distinct customer_id) > 1"
        ),
        (
            "products",
            "missing_category",
        ): "select count(*) from olist_products_dataset where product_category_name is null",
        ("geolocation", "duplicate_rows"): (
            f"select count(*) - (select count(*) from (select distinct * from {geolocation})) from {geolocation}"
        ),
        ("geolocation", "outside_brazil"): f"select count(*) from {geolocation} where {outside_brazil}",
        ("order_reviews", "review_ids_shared_by_orders"): groups_having(
            reviews, "review_id", "count(distinct order_id) > 1"
        ),
        ("order_reviews", "orders_with_several_reviews"): groups_having(reviews, "order_id", "count(*) > 1"),
        ("order_reviews", "multiline_comments"): (
            f"select count(*) from {reviews} where review_comment_message like '%' || chr(10) || '%'"
        ),
        ("orders", "without_items"): (
            f"select count(*) from {orders} where order_id not in (select order_id from olist_order_items_dataset)"
        ),
        ("order_payments", "orders_without_payment"): (
            f"select count(*) from {orders} where order_id not in (select order_id from olist_order_payments_dataset)"
        ),
        ("order_payments", "orders_with_several_payments"): groups_having(
            "olist_order_payments_dataset", "order_id", "count(*) > 1"
        ),
        ("orders", "delivered_late"): (
            f"select count(*) from {orders} where order_delivered_customer_date > order_estimated_delivery_date"
        ),
    }
    for (table, name), sql in checks.items():
        assert scalar(con, sql) == quirks[table][name] > 0, (table, name)
    untranslated = "product_category_name not in (select product_category_name from product_category_name_translation)"
    assert count_where(con, "olist_products_dataset", untranslated) > 0
    assert scalar(con, f"select count(*) = count(distinct customer_id) from {orders}")  # one customer_id per order
    assert count_where(con, orders, "order_status <> 'delivered' and order_delivered_customer_date is not null") == 0


def test_late_deliveries_get_lower_scores(con):
    late, on_time = con.execute("""
        select avg(review_score::int) filter (where o.order_delivered_customer_date > o.order_estimated_delivery_date),
               avg(review_score::int) filter (where o.order_delivered_customer_date <= o.order_estimated_delivery_date)
        from olist_order_reviews_dataset r join olist_orders_dataset o using (order_id)
    """).fetchone()
    assert late < on_time - 0.5  # a clear gap even in small data (about 1.8 expected)


# -- workbooks --------------------------------------------------------------------------


def sheet_rows(path: Path) -> dict[str, list[list]]:
    workbook = CalamineWorkbook.from_path(str(path))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def csv_text_of_cells(row: list, customer_suffix: str = "") -> tuple:
    """A workbook row as the CSV writes it (numbers typed as in the UCI workbook)."""
    invoice, stock, description, quantity, date, price, customer, country = row

    def code(value):
        return value if isinstance(value, str) else str(int(value))

    assert isinstance(quantity, float) and isinstance(price, float) and isinstance(date, dt.datetime)
    return (
        code(invoice),
        code(stock),
        description or None,
        str(int(quantity)),
        date.strftime("%Y-%m-%d %H:%M:%S"),
        repr(price),
        None if customer == "" else str(int(customer)) + customer_suffix,
        country,
    )


def test_online_retail_workbook_matches_csv(generated, con):
    out, _ = generated
    sheets = sheet_rows(out / OR_I_XLSX)
    assert list(sheets) == ["Online Retail"]
    rows = sheets["Online Retail"]
    assert rows[0] == list(ONLINE_RETAIL_VERSIONS[0].source_columns)
    assert [csv_text_of_cells(row) for row in rows[1:]] == con.execute("select * from online_retail").fetchall()
    # Invoice and stock codes are numbers when all digits, text otherwise ('C536379', '85123A').
    for column in (0, 1):
        assert {type(row[column]) for row in rows[1:]} == {float, str}


def test_online_retail_ii_workbook_has_both_sheets_overlapping_as_the_uci_file(generated, con):
    """As in the UCI workbook, "Year 2009-2010" runs to 2010-12-09 and "Year 2010-2011" starts
    2010-12-01: the lines of 2010-12-01..09 are in both sheets, the same rows in the same order.
    The CSV holds each line once."""
    out, manifest = generated
    sheets = sheet_rows(out / OR_II_XLSX)
    assert list(sheets) == ["Year 2009-2010", "Year 2010-2011"]
    first, second = (rows[1:] for rows in sheets.values())
    split, overlap_end = dt.datetime(2010, 12, 1), dt.datetime(2010, 12, 10)
    assert max(row[4] for row in first) < overlap_end and min(row[4] for row in second) >= split
    first_overlap = [row for row in first if row[4] >= split]
    second_overlap = [row for row in second if row[4] < overlap_end]
    assert len(first_overlap) > 0 and first_overlap == second_overlap
    assert first[-len(first_overlap) :] == first_overlap and second[: len(second_overlap)] == second_overlap
    assert manifest["files"][OR_II_XLSX] == {
        "rows": len(first) + len(second),
        "sheets": {"Year 2009-2010": len(first), "Year 2010-2011": len(second)},
        "rows_in_two_sheets": len(first_overlap),
    }
    lines = first[: -len(first_overlap)] + second
    cells = [csv_text_of_cells(row, customer_suffix=".0") for row in lines]
    assert cells == con.execute("select * from online_retail_ii").fetchall()


# -- sizes and the command line ------------------------------------------------------------


def test_row_counts_scale_with_lines(tmp_path):
    small = generate(tmp_path / "small", lines=1000, seed=SEED, formats=["csv"])
    large = generate(tmp_path / "large", lines=4000, seed=SEED, formats=["csv"])
    for manifest, lines in ((small, 1000), (large, 4000)):
        assert manifest["files"][OR_I_CSV]["rows"] == lines
        assert manifest["files"][OR_II_CSV]["rows"] == 2 * lines
        assert manifest["files"][OLIST_CSVS["orders"]]["rows"] == lines // 5
        assert OR_I_XLSX not in manifest["files"]
    for path in small["files"]:
        if path != OLIST_CSVS["product_category_name_translation"]:
            assert large["files"][path]["rows"] > small["files"][path]["rows"], path
    assert not (tmp_path / "small" / OR_I_XLSX).exists()


def test_command_line(tmp_path):
    command = ["-m", "retail_warehouse.synth", "--lines", "500", "--seed", "3", "--out", str(tmp_path)]
    result = subprocess.run([sys.executable, *command, "--formats", "csv"], capture_output=True, text=True, check=True)
    assert "online_retail/online_retail.csv" in result.stdout
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert manifest["seed"] == 3 and manifest["lines"] == 500
    assert manifest["files"][OR_I_CSV]["rows"] == 500


def test_workbooks_are_skipped_when_a_sheet_would_overflow(tmp_path, monkeypatch):
    monkeypatch.setattr("retail_warehouse.synth.online_retail.XLSX_MAX_DATA_ROWS", 1000)
    manifest = generate(tmp_path, lines=1000, seed=SEED)
    assert OR_I_XLSX in manifest["files"]  # 1,000 rows fit; II has about 940 + 1,060
    assert OR_II_XLSX not in manifest["files"] and not (tmp_path / OR_II_XLSX).exists()
    assert any("online_retail_II.xlsx skipped" in note for note in manifest["notes"])


def test_chunk_plan_respects_cuts():
    plan = chunk_plan(1_000_003, 200_000, cuts=[0.3])
    assert sum(chunk.size for chunk in plan) == 1_000_003
    assert [chunk.index for chunk in plan] == list(range(len(plan)))
    assert all(chunk.q1 <= 0.3 or chunk.q0 >= 0.3 for chunk in plan)
    assert sum(chunk.size for chunk in plan if chunk.segment == 0) == round(1_000_003 * 0.3)
    assert all(chunk.size <= 200_000 for chunk in plan)
