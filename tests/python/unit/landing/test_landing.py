"""Unit tests of the landing readers: every row kept with lineage, clear errors for bad files."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
import xlsxwriter
from dbt.adapters.duckdb.utils import SourceConfig

from retail_warehouse.landing import plugin
from retail_warehouse.landing.dates import DateOrder, observed
from retail_warehouse.landing.errors import InputFileError
from retail_warehouse.landing.inputs import resolve_inputs
from retail_warehouse.landing.plugin import file_loads, land_olist, land_online_retail
from retail_warehouse.landing.readers import read_online_retail
from retail_warehouse.landing.specs import OLIST_FILES, ONLINE_RETAIL_COLUMNS

HEADER_I = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
HEADER_II = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
LINES_I = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
    'C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,"United Kingdom"',
    "536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom",
]


def as_table(result) -> pa.Table:
    return result if isinstance(result, pa.Table) else result.read_all()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_lands_every_row_as_text_with_lineage(tmp_path):
    path = write(tmp_path / "retail.csv", "\n".join([HEADER_I, *LINES_I]) + "\n")
    table = as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))
    assert table.num_rows == 3
    assert table.column("invoice_no").to_pylist() == ["536365", "C536379", "536414"]
    assert table.column("customer_id").to_pylist() == ["17850", "14527", None]
    assert table.column("description").to_pylist()[2] is None
    assert table.column("_source_row_number").to_pylist() == [1, 2, 3]
    assert set(table.column("_source_file").to_pylist()) == {str(path)}
    assert all(field.type == pa.string() for field in table.schema if not field.name.startswith("_source_row"))


def test_gzip_csv_and_online_retail_ii_header_are_recognised(tmp_path):
    path = tmp_path / "retail_ii.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(HEADER_II + "\n" + "489434,85048,LED LIGHT,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom\n")
    table = as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))
    assert table.column("unit_price").to_pylist() == ["6.95"]
    assert table.column("customer_id").to_pylist() == ["13085.0"]


def test_columns_in_another_order_and_extra_columns_are_read_by_name(tmp_path):
    header = "Country,Extra,InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID"
    row = "France,x,536370,22728,ALARM CLOCK,24,2010-12-01 08:45:00,3.75,12583"
    table = as_table(read_online_retail(write(tmp_path / "r.csv", f"{header}\n{row}\n"), ONLINE_RETAIL_COLUMNS))
    assert table.column("country").to_pylist() == ["France"]
    assert table.column("invoice_no").to_pylist() == ["536370"]
    assert "Extra" not in table.schema.names


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if hasattr(value, "year"):
                    sheet.write_datetime(r, c, value, date_format)
                elif value is not None:
                    sheet.write(r, c, value)
    workbook.close()
    return path


def test_workbook_reads_every_sheet_with_text_as_a_csv_export_would_hold_it(tmp_path):
    import datetime as dt

    header = HEADER_II.split(",")
    sheets = {
        "Year 2009-2010": [header, [489434, "85048", "LED", 12, dt.datetime(2009, 12, 1, 7, 45), 6.95, 13085, "UK"]],
        "Year 2010-2011": [
            header,
            ["C489449", "22087", "PAPER", -12, dt.datetime(2010, 12, 1, 10, 33), 2.1, None, "UK"],
            [489450, "21123", "CUP", 3, dt.datetime(2010, 12, 1, 10, 34), 0.85, 12682, "France"],
        ],
        "Notes": [],
    }
    path = write_workbook(tmp_path / "online_retail_II.xlsx", sheets)
    table = as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))
    assert table.num_rows == 3
    assert table.column("invoice_no").to_pylist() == ["489434", "C489449", "489450"]
    assert table.column("invoice_date").to_pylist()[0] == "2009-12-01 07:45:00"
    assert table.column("unit_price").to_pylist() == ["6.95", "2.1", "0.85"]
    assert table.column("customer_id").to_pylist() == ["13085", None, "12682"]
    assert table.column("_source_sheet").to_pylist() == ["Year 2009-2010", "Year 2010-2011", "Year 2010-2011"]
    assert table.column("_source_row_number").to_pylist() == [1, 1, 2]


def test_workbook_rows_keep_their_numbers_blank_rows_inside_kept_and_trailing_ones_dropped(tmp_path):
    import datetime as dt

    row = [536365, "85123A", "HEART", 6, dt.datetime(2010, 12, 1, 8, 26), 2.55, 17850, "United Kingdom"]
    late = [536366, 22633, "HAND WARMER", 6, dt.datetime(2010, 12, 1, 8, 28), 1.85, None, "United Kingdom"]
    # Row 1 blank: the header is the first row with cells; blank rows at the end are no lines.
    sheets = {"Online Retail": [[], HEADER_I.split(","), row, [None] * 8, late, [None] * 8, [None] * 8]}
    table = as_table(read_online_retail(write_workbook(tmp_path / "gaps.xlsx", sheets), ONLINE_RETAIL_COLUMNS))
    assert table.column("_source_row_number").to_pylist() == [1, 2, 3]
    assert table.column("invoice_no").to_pylist() == ["536365", None, "536366"]
    assert table.column("stock_code").to_pylist() == ["85123A", None, "22633"]
    assert table.column("invoice_date").to_pylist() == ["2010-12-01 08:26:00", None, "2010-12-01 08:28:00"]


def test_workbook_sheets_of_notes_are_skipped_and_named_a_renamed_column_is_refused(tmp_path):
    row = [536365, "85123A", "HEART", 6, "2010-12-01 08:26:00", 2.55, 17850, "United Kingdom"]
    sheets = {
        "Online Retail": [HEADER_I.split(","), row],
        "Pivot": [["Country", "Revenue"], ["United Kingdom", 15.3]],
        "Empty": [],
    }
    skipped: list[str] = []
    table = as_table(
        read_online_retail(write_workbook(tmp_path / "notes.xlsx", sheets), ONLINE_RETAIL_COLUMNS, skipped)
    )
    assert table.column("_source_sheet").to_pylist() == ["Online Retail"]
    assert skipped == ["Pivot", "Empty"]
    # Most of the layout but one column renamed: a data sheet gone wrong, not notes.
    sheets["Pivot"] = [HEADER_I.replace("UnitPrice", "Price_GBP").split(","), row]
    with pytest.raises(InputFileError, match=r"\[sheet 'Pivot'\].*column: UnitPrice"):
        read_online_retail(write_workbook(tmp_path / "renamed.xlsx", sheets), ONLINE_RETAIL_COLUMNS)
    # Only notes: no sheet with data, the skipped ones named.
    with pytest.raises(InputFileError, match=r"no sheet with data \(sheets skipped: Pivot\)"):
        read_online_retail(
            write_workbook(tmp_path / "only.xlsx", {"Pivot": [["Country"], ["UK"]]}), ONLINE_RETAIL_COLUMNS
        )


def test_header_only_file_lands_zero_rows(tmp_path):
    table = as_table(read_online_retail(write(tmp_path / "r.csv", HEADER_I + "\n"), ONLINE_RETAIL_COLUMNS))
    assert table.num_rows == 0
    assert table.schema.names[: len(ONLINE_RETAIL_COLUMNS)] == list(ONLINE_RETAIL_COLUMNS)


@pytest.mark.parametrize(
    ("name", "content", "message_parts"),
    [
        ("missing.csv", None, ["missing.csv", "file not found"]),
        ("empty.csv", b"", ["empty.csv", "0 bytes"]),
        (
            "renamed.csv",
            HEADER_I.replace("UnitPrice", "Price_GBP").encode() + b"\n",
            ["renamed.csv", "column: UnitPrice", "Online Retail I or II"],
        ),
        ("fake.csv.gz", HEADER_I.encode() + b"\n", ["fake.csv.gz", "not gzip-compressed"]),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\nnot a workbook", ["photo.xlsx", "not a readable .xlsx"]),
        ("legacy.xls", b"\xd0\xcf\x11\xe0 old excel", ["legacy.xls", ".xls"]),
    ],
)
def test_bad_online_retail_file_raises_one_clear_error(tmp_path, name, content, message_parts):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError) as raised:
        as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))
    for part in message_parts:
        assert part in str(raised.value)


def test_truncated_workbook_raises_a_clear_error(tmp_path):
    good = write_workbook(
        tmp_path / "good.xlsx", {"Online Retail": [HEADER_I.split(","), [1, "2", "x", 1, None, 1.0, 1, "UK"]]}
    )
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert not zipfile.is_zipfile(truncated)
    with pytest.raises(InputFileError, match=r"truncated\.xlsx.*not a readable \.xlsx"):
        read_online_retail(truncated, ONLINE_RETAIL_COLUMNS)


def test_malformed_csv_row_raises_an_error_naming_the_file(tmp_path):
    path = write(tmp_path / "ragged.csv", HEADER_I + "\n" + LINES_I[0] + ",extra,fields\n")
    with pytest.raises(InputFileError, match=r"ragged\.csv"):
        as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))


def write_olist(folder: Path, tables: set[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for spec in OLIST_FILES:
        if spec.table in tables:
            write(folder / f"{spec.file_stem}.csv", ",".join(f'"{c}"' for c in spec.columns) + "\n")
    return folder


def test_missing_optional_olist_file_lands_empty_and_is_reported(tmp_path):
    folder = write_olist(tmp_path / "olist", {"orders", "customers", "order_items"})
    inputs = resolve_inputs("", str(folder), tmp_path / "unused")
    reviews = as_table(land_olist(inputs, "order_reviews"))
    assert reviews.num_rows == 0 and "review_score" in reviews.schema.names
    statuses = {row["source_table"]: row for row in file_loads(inputs).to_pylist()}
    assert statuses["olist__order_reviews"]["status"] == "missing"
    assert "olist_order_reviews_dataset.csv" in statuses["olist__order_reviews"]["detail"]
    assert statuses["olist__orders"]["status"] == "found"
    assert statuses["online_retail__invoice_lines"]["status"] == "store_not_given"


def test_missing_required_olist_file_stops_with_its_name(tmp_path):
    folder = write_olist(tmp_path / "olist", {"orders", "customers"})
    inputs = resolve_inputs("", str(folder), tmp_path / "unused")
    with pytest.raises(InputFileError, match=r"olist_order_items_dataset\.csv.*required"):
        land_olist(inputs, "order_items")


def test_refused_input_says_at_once_that_the_served_warehouse_is_left_unchanged(tmp_path, monkeypatch):
    # With --fail-fast, dbt can stop before its on-run-end hook: the plugin says it itself.
    said = []
    monkeypatch.setattr(plugin.logger, "error", said.append)
    folder = write_olist(tmp_path / "olist", {"orders", "customers"})
    landing = plugin.Plugin("landing", {"served_path": "served/warehouse.duckdb"})
    source = SourceConfig(
        name="olist",
        identifier="olist__order_items",
        schema="raw",
        database=None,
        meta={"olist_dir": str(folder), "synthetic_dir": str(tmp_path / "unused")},
        tags=[],
    )
    with pytest.raises(InputFileError):
        landing.load(source)
    assert "olist_order_items_dataset.csv" in said[0]
    assert said[1] == "publish: served warehouse served/warehouse.duckdb left unchanged: an input was refused"


def test_olist_file_with_a_missing_column_names_it(tmp_path):
    folder = write_olist(tmp_path / "olist", {"orders", "customers", "order_items"})
    write(folder / "olist_orders_dataset.csv", '"order_id","customer_id","order_status"\n')
    inputs = resolve_inputs("", str(folder), tmp_path / "unused")
    with pytest.raises(InputFileError) as raised:
        land_olist(inputs, "orders")
    assert "olist_orders_dataset.csv" in str(raised.value)
    assert "column: order_purchase_timestamp" in str(raised.value)


def test_gzipped_olist_file_is_read_and_quoted_headers_are_unquoted(tmp_path):
    folder = write_olist(tmp_path / "olist", {"customers", "order_items"})
    with gzip.open(folder / "olist_orders_dataset.csv.gz", "wt") as stream:
        stream.write(
            '"order_id","customer_id","order_status","order_purchase_timestamp","order_approved_at",'
            '"order_delivered_carrier_date","order_delivered_customer_date","order_estimated_delivery_date"\n'
        )
        stream.write('"0a1b",c1,delivered,2017-10-02 10:56:33,,,,2017-10-18 00:00:00\n')
    table = as_table(land_olist(resolve_inputs("", str(folder), tmp_path / "unused"), "orders"))
    assert table.column("order_id").to_pylist() == ["0a1b"]
    assert table.column("order_approved_at").to_pylist() == [None]


def test_no_input_given_means_the_synthetic_data_set(tmp_path):
    inputs = resolve_inputs("", "", tmp_path / "synthetic")
    assert inputs.synthetic
    assert inputs.online_retail_path.exists()
    assert (inputs.olist_dir / "olist_orders_dataset.csv").exists()


def test_file_loads_record_size_hash_format_and_encoding_of_each_file_found(tmp_path):
    import gzip
    import hashlib

    from retail_warehouse.landing.plugin import describe_file

    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a,b\n1,2\n")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfa,b\n1,2\n")
    zipped = tmp_path / "bom.csv.gz"
    zipped.write_bytes(gzip.compress(bom.read_bytes()))
    workbook = tmp_path / "book.xlsx"
    workbook.write_bytes(b"PK\x03\x04rest of a workbook")
    assert describe_file(plain) == {
        "size_bytes": 8,
        "sha256": hashlib.sha256(b"a,b\n1,2\n").hexdigest(),
        "file_format": "csv",
        "encoding": "utf-8",
    }
    assert describe_file(bom)["encoding"] == "utf-8 with BOM"
    assert (describe_file(zipped)["file_format"], describe_file(zipped)["encoding"]) == ("csv.gz", "utf-8 with BOM")
    assert (describe_file(workbook)["file_format"], describe_file(workbook)["encoding"]) == ("xlsx workbook", None)


def test_a_cell_of_several_mb_and_a_nul_byte_are_landed_under_the_real_line_limit(tmp_path, monkeypatch):
    """3 MB is above DuckDB's default line limit (2,000,000 bytes), below the reader's (64 MiB)."""
    from retail_warehouse.landing import readers

    monkeypatch.delenv(readers.MAX_LINE_BYTES_ENV, raising=False)
    assert readers.max_line_bytes(tmp_path) == readers.MAX_LINE_BYTES == 64 * 1024 * 1024
    big = "x" * 3_000_000
    path = tmp_path / "online_retail.csv"
    path.write_bytes(
        (HEADER_I + "\n" + LINES_I[0] + "\n").encode()
        + f'536366,22633,"{big}",6,2010-12-01 08:28:00,1.85,17850,United Kingdom\n'.encode()
        + b"536367,84879,NUL\x00BYTE,32,2010-12-01 08:34:00,1.69,13047,United Kingdom\n"
    )
    table = as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))
    descriptions = table.column("description").to_pylist()
    assert table.num_rows == 3 and descriptions[1] == big and descriptions[2] == "NUL\x00BYTE"
    assert table.column("_source_line_problem").to_pylist() == [None, None, None]
    # The same file under a limit of 1,000,000 bytes: the line is set apart, not the file refused.
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 1_000_000)
    table = as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))
    assert table.column("_source_line_problem").to_pylist() == [None, None, "line longer than 1,000,000 bytes"]


def long_line_file(path: Path, long_rows: dict[int, str], rows: int = 12) -> Path:
    """An Online Retail CSV (gzip-compressed when named .gz) of `rows` lines, invoice 600000 + n
    on row n; the rows of long_rows get that description, quoted."""
    lines = [HEADER_I]
    for number in range(1, rows + 1):
        description = f'"{long_rows[number]}"' if number in long_rows else f"ITEM {number}"
        lines.append(f"{600000 + number},85123A,{description},6,2010-12-01 08:26:00,2.55,17850,Country {number}")
    data = ("\n".join(lines) + "\n").encode("cp1252" if "1252" in path.name else "utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("name", ["online_retail.csv", "online_retail.csv.gz", "online_retail_cp1252.csv"])
def test_a_line_beyond_the_limit_is_set_apart_and_the_file_lands_with_its_row_numbers(tmp_path, monkeypatch, name):
    from retail_warehouse.landing import readers

    monkeypatch.setenv(readers.MAX_LINE_BYTES_ENV, "5000")
    # One line of 6,000+ bytes, one over the limit by its quoted line breaks alone, one of
    # 4,990 bytes (within the limit), and a £ (a byte of its own in Windows-1252).
    multi_line = "\n".join(["y" * 1000] * 6)
    exact = "e" * (4990 - len('600009,85123A,"",6,2010-12-01 08:26:00,2.55,17850,Country 9'))
    path = long_line_file(tmp_path / name, {3: "x" * 6000, 4: "GIFT £10", 7: multi_line, 9: exact})
    table = as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS)).sort_by("_source_row_number")
    rows = table.to_pylist()
    assert [row["_source_row_number"] for row in rows] == list(range(1, 13))
    # Every row keeps its own number: invoice 600000 + n is on row n.
    assert [row["invoice_no"] for row in rows] == [str(600000 + n) for n in range(1, 13)]
    assert [row["_source_line_problem"] for row in rows] == [
        "line longer than 5,000 bytes" if n in (3, 7) else None for n in range(1, 13)
    ]
    # The long lines' fields are kept cut to their first KEPT_CHARS characters.
    assert rows[2]["description"] == "x" * readers.KEPT_CHARS
    assert rows[6]["description"] == multi_line[: readers.KEPT_CHARS]
    assert (rows[2]["country"], rows[6]["country"], rows[2]["_source_file"]) == ("Country 3", "Country 7", str(path))
    assert rows[3]["description"] == "GIFT £10" and rows[8]["description"] == exact


def test_a_line_beyond_the_limit_after_rows_already_streamed_keeps_every_row_once(tmp_path, monkeypatch):
    """DuckDB stops at the long line after passing on earlier batches: the rest is read again,
    every row once, in its place."""
    from retail_warehouse.landing import readers

    monkeypatch.setenv(readers.MAX_LINE_BYTES_ENV, "5000")
    monkeypatch.setattr(readers, "ARROW_BATCH_ROWS", 10_000)
    rows = 120_000
    path = long_line_file(tmp_path / "online_retail.csv", {100_500: "x" * 6000, 110_000: "z" * 9000}, rows=rows)
    read_again_after = []
    set_apart = readers._batches_setting_long_lines_apart

    def spy(*args):
        read_again_after.append(args[-1])
        return set_apart(*args)

    monkeypatch.setattr(readers, "_batches_setting_long_lines_apart", spy)
    batches = list(read_online_retail(path, ONLINE_RETAIL_COLUMNS))
    assert len(read_again_after) == 1 and 0 < read_again_after[0] < 100_500
    table = pa.Table.from_batches(batches)
    numbers = table.column("_source_row_number").to_pylist()
    assert sorted(numbers) == list(range(1, rows + 1))
    by_number = dict(zip(numbers, table.column("invoice_no").to_pylist(), strict=True))
    assert all(by_number[n] == str(600000 + n) for n in (1, 100_499, 100_500, 100_501, 109_999, 110_000, rows))
    problems = dict(zip(numbers, table.column("_source_line_problem").to_pylist(), strict=True))
    assert {n for n, problem in problems.items() if problem} == {100_500, 110_000}


def test_a_file_with_a_long_line_and_another_fault_is_refused_naming_the_fault(tmp_path, monkeypatch):
    from retail_warehouse.landing import readers

    monkeypatch.setenv(readers.MAX_LINE_BYTES_ENV, "5000")
    path = long_line_file(tmp_path / "online_retail.csv", {3: "x" * 6000})
    path.write_text(path.read_text() + "1,2,3\n")
    with pytest.raises(InputFileError, match=r"CSV Error on Line: 14: Expected Number of Columns: 8 Found: 3"):
        as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))


@pytest.mark.parametrize("value", ["0", "-5", "64MiB"])
def test_a_bad_line_limit_in_the_environment_is_refused_by_name(tmp_path, monkeypatch, value):
    from retail_warehouse.landing import readers

    monkeypatch.setenv(readers.MAX_LINE_BYTES_ENV, value)
    path = long_line_file(tmp_path / "online_retail.csv", {})
    with pytest.raises(InputFileError, match=rf"RETAIL_WAREHOUSE_MAX_LINE_BYTES='{value}'.*positive integer"):
        as_table(read_online_retail(path, ONLINE_RETAIL_COLUMNS))


def test_an_olist_line_beyond_the_limit_keeps_its_keys(tmp_path, monkeypatch):
    from retail_warehouse.landing import readers

    monkeypatch.setenv(readers.MAX_LINE_BYTES_ENV, "5000")
    spec = next(spec for spec in OLIST_FILES if spec.table == "order_reviews")
    lines = [",".join(spec.columns)]
    for n in range(1, 5):
        message = f'"{"m" * 8000}"' if n == 2 else f"message {n}"
        lines.append(f"review{n},order{n},5,title,{message},2018-01-0{n} 00:00:00,2018-01-0{n} 10:00:00")
    folder = tmp_path / "olist"
    folder.mkdir()
    (folder / f"{spec.file_stem}.csv").write_text("\n".join(lines) + "\n")
    table = as_table(land_olist(resolve_inputs("", str(folder), tmp_path), "order_reviews"))
    rows = sorted(table.to_pylist(), key=lambda row: row["_source_row_number"])
    assert [(row["review_id"], row["order_id"], row["_source_line_problem"]) for row in rows] == [
        ("review1", "order1", None),
        ("review2", "order2", "line longer than 5,000 bytes"),
        ("review3", "order3", None),
        ("review4", "order4", None),
    ]
    assert len(rows[1]["review_comment_message"]) == readers.KEPT_CHARS
    assert rows[1]["review_answer_timestamp"] == "2018-01-02 10:00:00"


@pytest.mark.parametrize(
    ("dates", "order"),
    [
        (["2011-06-13 08:26:00", "2011-06-01T08:26", None], "iso"),
        (["13/06/2011 8:26", "1/6/11"], "day_first"),
        (["06.13.2011 08:26:00", "6-1-2011"], "month_first"),
        (["01/06/2011 08:26", "12/06/2011"], "ambiguous"),
        (["13/06/2011", "06/13/2011"], "ambiguous"),
        (["13/06/2011", "2011-06-01 08:26", "2011-06-02 08:26"], "iso"),
    ],
    ids=["iso", "day_first", "month_first", "no_part_above_12", "both_ways", "mostly_iso"],
)
def test_the_date_order_is_read_from_the_values_batch_by_batch(dates, order):
    """The order of a file's dates from all its batches: evidence in a later batch counts."""
    date_order = DateOrder()
    stream = pa.RecordBatchReader.from_batches(
        pa.schema([("invoice_date", pa.string())]),
        [pa.record_batch([pa.array([value], pa.string())], names=["invoice_date"]) for value in dates],
    )
    landed = observed(stream, "invoice_date", date_order)
    assert landed.read_all().column("invoice_date").to_pylist() == dates
    assert date_order.order == order


def test_file_loads_records_the_date_order_of_the_online_retail_file_landed(tmp_path):
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    path = write(tmp_path / "online_retail.csv", header + "536365,85123A,HEART,6,13/06/2011 08:26,2.55,17850,UK\n")
    inputs = resolve_inputs(str(path), "", tmp_path / "unused")
    landings = {}
    land_online_retail(inputs, landings).read_all()
    rows = {row["source_table"]: row for row in file_loads(inputs, landings).to_pylist()}
    assert rows["online_retail__invoice_lines"]["date_order"] == "day_first"
    assert rows["olist__orders"]["date_order"] is None
