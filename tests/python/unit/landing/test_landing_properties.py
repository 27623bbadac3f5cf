"""Property-based tests (hypothesis) of the functions that parse and clean input files."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from retail_warehouse.landing.errors import InputFileError
from retail_warehouse.landing.readers import (
    _column_text,
    csv_reader,
    detect_encoding,
    detect_online_retail_version,
    match_columns,
    read_csv_header,
)
from retail_warehouse.landing.specs import ONLINE_RETAIL_VERSIONS
from retail_warehouse.publish import build_path_for

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Header-like names: printable text without the CSV structure characters.
names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=',;\t|"\r\n\ufeff'),
    min_size=1,
    max_size=12,
).filter(lambda name: name.strip() == name and name)
cell_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=20)


# --- _column_text: a typed workbook column as the text a CSV export would hold ---------------


def column_text(values, kind: pa.DataType) -> list:
    return _column_text(pa.array(values, kind)).to_pylist()


@given(st.lists(st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1), max_size=5))
def test_integral_floats_read_as_integers(values):
    assert column_text([float(v) for v in values], pa.float64()) == [str(v) for v in values]


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=5))
def test_other_floats_read_as_their_exact_shortest_text(values):
    texts = column_text(values, pa.float64())
    assert [float(text) for text in texts] == values
    integral = [v.is_integer() and abs(v) < 2**53 for v in values]
    assert [t for t, i in zip(texts, integral) if not i] == [repr(v) for v, i in zip(values, integral) if not i]


@given(st.lists(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)), max_size=5))
def test_datetimes_read_as_iso_text_to_the_second(values):
    texts = column_text(values, pa.timestamp("ms"))
    assert texts == [v.strftime("%Y-%m-%d %H:%M:%S") for v in values]


@given(st.times())
def test_a_time_alone_reads_as_the_time(value):
    # fastexcel gives a workbook time of day (an Excel serial below 1) on 1899-12-31.
    assert column_text([dt.datetime.combine(dt.date(1899, 12, 31), value)], pa.timestamp("ms")) == [
        value.strftime("%H:%M:%S")
    ]


@given(st.lists(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)), max_size=5))
def test_dates_read_as_midnight(values):
    assert column_text(values, pa.date32()) == [f"{v.isoformat()} 00:00:00" for v in values]


@given(st.lists(st.text(min_size=1), max_size=5))
def test_text_cells_are_kept_as_they_are(values):
    assert column_text(values, pa.string()) == values


def test_empty_cells_are_null_and_booleans_lower_case():
    assert column_text([None, ""], pa.string()) == [None, None]
    assert column_text([None, 1.0], pa.float64()) == [None, "1"]
    assert column_text([True, False, None], pa.bool_()) == ["true", "false", None]


# --- header matching and layout detection -------------------------------------------------------


@SETTINGS
@given(
    version=st.sampled_from(ONLINE_RETAIL_VERSIONS),
    extra=st.lists(names, max_size=4),
    data=st.data(),
)
def test_any_order_extra_columns_and_padding_detect_the_layout(version, extra, data):
    other = {c for v in ONLINE_RETAIL_VERSIONS for c in v.source_columns}
    extra = [name for name in extra if name not in other]
    columns = data.draw(st.permutations([*version.source_columns, *extra]))
    padded = [
        data.draw(st.sampled_from(["", " ", "  "])) + name + data.draw(st.sampled_from(["", " "])) for name in columns
    ]
    # Neither layout's columns are a subset of the other's, so detection is exact.
    assert detect_online_retail_version(Path("x.csv"), padded) == version


@SETTINGS
@given(version=st.sampled_from(ONLINE_RETAIL_VERSIONS), data=st.data())
def test_a_missing_column_is_named_in_the_error(version, data):
    dropped = data.draw(st.sampled_from(version.source_columns))
    header = [name for name in version.source_columns if name != dropped]
    # A column both layouts share is missing from both: any layout's missing column is named.
    with pytest.raises(InputFileError) as raised:
        detect_online_retail_version(Path("bad.csv"), header)
    assert raised.value.column is not None
    assert raised.value.column not in header
    assert "bad.csv" in str(raised.value) and "Online Retail I or II header" in str(raised.value)


@SETTINGS
@given(expected=st.lists(names, min_size=1, max_size=8, unique=True), data=st.data())
def test_match_columns_accepts_exactly_the_headers_holding_every_expected_column(expected, data):
    found = data.draw(st.lists(st.sampled_from(expected + ["extra_a", "extra_b"]), max_size=12))
    missing = [name for name in expected if name not in found]
    if missing:
        with pytest.raises(InputFileError) as raised:
            match_columns(Path("f.csv"), found, expected, "Test")
        assert raised.value.column == missing[0]
        assert raised.value.expected == "Test header " + ",".join(expected)
    else:
        match_columns(Path("f.csv"), found, expected, "Test")


# --- CSV reading: every row lands, as text, with lineage ----------------------------------------


def write_csv(folder: Path, header, rows, *, compress=False, bom=False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    data = (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")
    path = folder / ("f.csv.gz" if compress else "f.csv")
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


@SETTINGS
@given(
    header=st.lists(names, min_size=1, max_size=5, unique=True),
    data=st.data(),
    compress=st.booleans(),
    bom=st.booleans(),
)
def test_csv_reader_lands_every_value_as_text_with_row_numbers(header, data, compress, bom):
    rows = data.draw(st.lists(st.lists(cell_values, min_size=len(header), max_size=len(header)), max_size=15))
    # An all-empty single-column row is a blank line, which CSV readers skip: not a data row.
    assume(not (len(header) == 1 and any(row == [""] for row in rows)))
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder), header, rows, compress=compress, bom=bom)
        assert read_csv_header(path) == header
        outputs = [f"c{i}" for i in range(len(header))]
        table = csv_reader(path, dict(zip(header, outputs)), outputs).read_all()
    assert table.num_rows == len(rows)
    assert table.column("_source_row_number").to_pylist() == list(range(1, len(rows) + 1))
    for i, name in enumerate(outputs):
        # Empty fields are NULL (typing happens in staging); everything else is the exact text.
        assert table.column(name).to_pylist() == [row[i] if row[i] != "" else None for row in rows]


@SETTINGS
@given(header=st.lists(names, min_size=2, max_size=6, unique=True), delimiter=st.sampled_from([";", "\t", "|"]))
def test_a_header_with_another_delimiter_is_refused_with_the_expectation(header, delimiter):
    assume(all("," not in name for name in header))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_text(delimiter.join(header) + "\n" + delimiter.join("1" for _ in header) + "\n", encoding="utf-8")
        with pytest.raises(InputFileError) as raised:
            read_csv_header(path)
    assert "not commas" in str(raised.value) and "comma-separated" in raised.value.expected


# Text as exports hold it: printable characters, none of the C1 controls (U+0080-U+009F) that
# latin-1 maps the bytes 0x80-0x9F to and cp1252 reads as punctuation (the euro sign, quotes).
def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


EXPORT_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=32, max_codepoint=126),
        st.characters(min_codepoint=0xA0, max_codepoint=0xFF),
        st.sampled_from("\u20ac\u2018\u2019\u201c\u201d\u2013\u2014\u2026"),
    ),
    max_size=40,
)


@SETTINGS
@given(text=EXPORT_TEXT, written=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_the_encoding_detected_reads_the_text_back(text, written):
    """Whatever a UTF-8 (with or without BOM) or Windows-1252 export holds, the encoding found
    decodes its bytes to the text written. Not decidable, so left out: Windows-1252 bytes that
    happen to be valid UTF-8 ("Â\xa0" is UTF-8's no-break space), which are read as UTF-8."""
    data = f"a\n{text}\n".encode(written)
    if written == "cp1252":
        assume(not is_utf8(data))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(data)
        found = detect_encoding(path)
        assert path.read_bytes().decode({"utf-8 with BOM": "utf-8-sig"}.get(found, found)) == f"a\n{text}\n"


# --- publish paths ---------------------------------------------------------------------------------


@given(st.lists(names.filter(lambda n: "/" not in n and n not in {".", ".."}), min_size=1, max_size=4))
def test_the_build_copy_keeps_the_served_file_name_in_a_build_folder(parts):
    served = Path("/", *parts[:-1], parts[-1] + ".duckdb")
    build = build_path_for(served)
    assert build.name == served.name
    assert build.parent == served.parent / ".build"
    assert build != served
