"""Read one raw input file into an Arrow stream of text columns plus lineage columns.

Every data row of the file becomes one row; nothing is typed or filtered here, so that a
value that does not parse reaches staging (and its quarantine) instead of being lost.
Structural problems (missing file, unreadable container, missing columns) raise
InputFileError naming the file, the column and what was expected.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from .errors import InputFileError
from .specs import LINEAGE_COLUMNS, ONLINE_RETAIL_VERSIONS, OnlineRetailVersion

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
# DuckDB refuses CSV lines above 2,000,000 bytes by default; a description or review of
# several MB is still a row to land. A line (a CSV record, quoted line breaks included) above
# this is landed with its fields cut to KEPT_CHARS characters and the reason in
# _source_line_problem, which staging quarantines (the memory a line may take stays bounded).
# Env RETAIL_WAREHOUSE_MAX_LINE_BYTES lowers it (the tests use a small limit).
MAX_LINE_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES_ENV = "RETAIL_WAREHOUSE_MAX_LINE_BYTES"
KEPT_CHARS = 1000
LONG_LINE_PARSED_CHARS = 256 * 1024 * 1024  # of a line over the limit, read for its fields
UTF8_BOM = b"\xef\xbb\xbf"
CHUNK_BYTES = 1 << 20
ARROW_BATCH_ROWS = 100_000
EXCEL_FIRST_DAY = dt.datetime(1900, 1, 1)


def text_schema(columns: Sequence[str]) -> pa.Schema:
    return pa.schema(
        [pa.field(name, pa.string()) for name in columns]
        + [
            pa.field("_source_file", pa.string()),
            pa.field("_source_sheet", pa.string()),
            pa.field("_source_row_number", pa.int64()),
            pa.field("_source_line_problem", pa.string()),
        ]
    )


def empty_table(columns: Sequence[str]) -> pa.Table:
    return text_schema(columns).empty_table()


def check_readable_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError(path, "file not found")
    if path.is_dir():
        raise InputFileError(path, "is a folder, not a file")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if path.stat().st_size == 0:
        raise InputFileError(path, "file is empty (0 bytes)", expected="a header row and data rows")


def read_csv_header(path: Path) -> list[str]:
    """The header fields of a CSV (optionally gzip-compressed), BOM removed."""
    check_readable_file(path)
    with path.open("rb") as raw:
        magic = raw.read(2)
    is_gzip_name = path.name.lower().endswith(".gz")
    if is_gzip_name and magic != GZIP_MAGIC:
        raise InputFileError(path, "named .gz but is not gzip-compressed", expected="a gzip file")
    opener = gzip.open if magic == GZIP_MAGIC else open
    try:
        with opener(path, "rb") as stream:
            first_line = stream.readline()
    except (OSError, EOFError) as exc:
        raise InputFileError(path, f"cannot be decompressed ({exc})", expected="a gzip file") from exc
    text = _decode_text(first_line)
    if not text.strip():
        raise InputFileError(path, "has no header row", expected="a CSV header row")
    fields = next(csv.reader([text]))
    if len(fields) == 1:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if delimiter in fields[0]:
                raise InputFileError(
                    path,
                    f"is separated by {name}, not commas (header: {text.strip()[:120]})",
                    expected="a comma-separated CSV with a decimal point (the UCI / Olist export format); "
                    "re-export it with ',' as the separator and '.' as the decimal mark",
                )
    return fields


def csv_has_data_row(path: Path) -> bool:
    """Whether a CSV (optionally gzip-compressed) has a non-empty line after its header."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == GZIP_MAGIC else open
    with opener(path, "rb") as stream:
        stream.readline()
        for line in stream:
            if line.strip():
                return True
    return False


def _open_text_bytes(path: Path):
    """The file's bytes, decompressed when it is gzip."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    return (gzip.open if magic == GZIP_MAGIC else open)(path, "rb")


def detect_encoding(path: Path) -> str:
    """How a CSV's text is encoded, read from all its bytes: ``utf-8`` (or ``utf-8 with BOM``)
    when they are valid UTF-8; else ``cp1252`` (Windows exports) when every byte is defined
    there, else ``latin-1``, which reads any byte. One pass, a chunk at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with _open_text_bytes(path) as stream:
        first = stream.read(CHUNK_BYTES)
        try:
            chunk = first
            while chunk:
                decoder.decode(chunk)
                chunk = stream.read(CHUNK_BYTES)
            decoder.decode(b"", final=True)
            return "utf-8 with BOM" if first.startswith(UTF8_BOM) else "utf-8"
        except UnicodeDecodeError:
            pass
    with _open_text_bytes(path) as stream:
        for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError:
                return "latin-1"
    return "cp1252"


def _decode_text(line: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return line.decode("latin-1")


def _utf8_copy(path: Path, encoding: str) -> Path:
    """A temporary UTF-8 copy of a single-byte-encoded CSV, for DuckDB's UTF-8 reader."""
    fd, name = tempfile.mkstemp(prefix="landing-", suffix=".csv")
    try:
        with _open_text_bytes(path) as source, open(fd, "w", encoding="utf-8", newline="") as target:
            shutil.copyfileobj(codecs.getreader(encoding)(source), target, CHUNK_BYTES)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _parse_error(path: Path, exc: Exception) -> InputFileError:
    """A clear error for a CSV that DuckDB could not parse; names an overlong line as such."""
    too_long = next((line for line in str(exc).splitlines() if line.startswith("Maximum line size")), None)
    if too_long is not None:
        return InputFileError(
            path,
            f"{_first_line(exc).removeprefix('Invalid Input Error: ')}: {too_long}",
            expected=f"CSV lines up to {MAX_LINE_BYTES:,} bytes",
        )
    return InputFileError(path, f"cannot be parsed as a comma-separated CSV: {_first_line(exc)}")


def match_columns(path: Path, found: Sequence[str], expected: Sequence[str], what: str) -> None:
    """Raise unless every expected column is present (extra columns and any order are fine)."""
    missing = [name for name in expected if name not in found]
    if missing:
        raise InputFileError(
            path,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} (found: {', '.join(found)})",
            column=missing[0],
            expected=f"{what} header {','.join(expected)}",
        )


def max_line_bytes(path: Path) -> int:
    """The CSV line limit: MAX_LINE_BYTES, or env RETAIL_WAREHOUSE_MAX_LINE_BYTES when set."""
    text = os.environ.get(MAX_LINE_BYTES_ENV, "").strip()
    if not text:
        return MAX_LINE_BYTES
    if not text.isdigit() or int(text) < 1:
        raise InputFileError(
            path,
            f"cannot be read with the line limit in env {MAX_LINE_BYTES_ENV}={text!r}",
            expected=f"{MAX_LINE_BYTES_ENV} unset or a number of bytes (a positive integer)",
        )
    return int(text)


def csv_reader(
    path: Path,
    rename: dict[str, str],
    output_columns: Sequence[str],
    *,
    source_file: Path | None = None,
    first_row_number: int = 1,
) -> pa.RecordBatchReader:
    """Stream a CSV as text columns renamed by `rename` (source -> output) plus lineage. A
    file holding the header and the appended tail of a grown export is read with the export's
    path as source_file and its rows numbered on from first_row_number."""
    header = read_csv_header(path)
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise InputFileError(path, "duplicate header names", column=duplicates[0], expected="unique column names")
    limit = max_line_bytes(path)
    encoding = detect_encoding(path)
    # DuckDB reads UTF-8: a single-byte export is read from a UTF-8 copy, removed once read.
    readable = _utf8_copy(path, encoding) if encoding in ("cp1252", "latin-1") else path
    # All columns as text: typing is staging's job, so that bad values get quarantined.
    columns = {name: "VARCHAR" for name in header}
    select_list = ", ".join(f"{_quote_ident(source)} as {_quote_ident(target)}" for source, target in rename.items())

    def scan(con: duckdb.DuckDBPyConnection, options: str = "", count: bool = False) -> duckdb.DuckDBPyConnection:
        query = f"""
            select
                {select_list},
                ? as _source_file,
                null::varchar as _source_sheet,
                row_number() over () as _source_row_number,
                null::varchar as _source_line_problem
            from read_csv(
                ?, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                columns = {_duckdb_struct(columns)}, encoding = 'utf-8', max_line_size = {limit}{options}
            )
        """
        return con.execute(f"select count(*) from ({query})" if count else query, [lineage_path, str(readable)])

    lineage_path = str(source_file or path)
    schema = text_schema(output_columns)
    # Read straight through; a line over the limit stops DuckDB (here, or mid-stream), and the
    # rest of the file (after the rows already passed on) is read again with those lines set
    # apart. Errors found before the first row are raised here, as the landing is called.
    con = duckdb.connect()
    try:
        try:
            reader, long_lines = scan(con).to_arrow_reader(ARROW_BATCH_ROWS), None
        except duckdb.Error as exc:
            if not _is_line_too_long(exc):
                raise _parse_error(path, exc) from exc
            reader, long_lines = None, _long_lines(path, scan)
    except BaseException:
        con.close()
        _remove_copy(path, readable)
        raise

    def numbered_on(batch: pa.RecordBatch) -> pa.RecordBatch:
        """The rows of an appended tail numbered on from the export's rows landed before."""
        if first_row_number == 1:
            return batch
        index = schema.get_field_index("_source_row_number")
        shifted = pc.add(batch.column(index), first_row_number - 1)
        return batch.set_column(index, schema.field(index), shifted)

    def batches():
        passed = 0
        try:
            lines = long_lines
            if reader is not None:
                try:
                    for batch in reader:
                        yield numbered_on(batch.cast(schema))
                        passed += batch.num_rows
                    return
                except (duckdb.Error, pa.ArrowException, OSError) as exc:  # mid-stream: OSError from Arrow
                    if not _is_line_too_long(exc):
                        raise _parse_error(path, exc) from exc
                lines = _long_lines(path, scan)
            for batch in _batches_setting_long_lines_apart(
                path, lineage_path, header, rename, schema, limit, scan, lines, passed
            ):
                yield numbered_on(batch)
        finally:
            con.close()
            _remove_copy(path, readable)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _is_line_too_long(exc: Exception) -> bool:
    return any(line.startswith("Maximum line size") for line in str(exc).splitlines())


def _long_lines(path: Path, scan) -> list[tuple[int, str]]:
    """The data row number and text (up to LONG_LINE_PARSED_CHARS) of each line of the CSV
    over the line limit, from DuckDB's reject table; a line rejected for another reason
    refuses the file, naming it."""
    con = duckdb.connect()
    try:
        scan(con, ", ignore_errors = true, store_rejects = true", count=True).fetchall()
        rejects = con.execute(
            "select line - 1 as row_number, error_type, error_message, left(csv_line, ?) as csv_line "
            "from reject_errors order by line",
            [LONG_LINE_PARSED_CHARS],
        ).fetchall()
    except duckdb.Error as exc:
        raise _parse_error(path, exc) from exc
    finally:
        con.close()
    other = next((reject for reject in rejects if reject[1] != "LINE SIZE OVER MAXIMUM"), None)
    if other is not None:
        raise InputFileError(
            path, f"cannot be parsed as a comma-separated CSV: CSV Error on Line: {other[0] + 1}: {other[2]}"
        )
    return [(row_number, text) for row_number, _, _, text in rejects]


def _batches_setting_long_lines_apart(
    path, lineage_path, header, rename, schema, limit, scan, long_lines, skip_rows: int
):
    """The CSV's rows after its first `skip_rows`, each of the long lines landed as a row of
    its own at the end: its fields cut to KEPT_CHARS characters, its row number, and the reason
    in _source_line_problem (quarantined by staging). The other rows keep their row numbers."""
    import numpy as np

    # The n-th readable row's number: n plus the long lines before it.
    gaps = np.array([row - i for i, (row, _) in enumerate(long_lines, start=1)], dtype=np.int64)
    number = schema.get_field_index("_source_row_number")
    con = duckdb.connect()
    try:
        seen = 0
        for batch in scan(con, ", ignore_errors = true").to_arrow_reader(ARROW_BATCH_ROWS):
            start = max(0, skip_rows - seen)
            seen += batch.num_rows
            if start >= batch.num_rows:
                continue
            batch = batch.slice(start).cast(schema)
            sequence = batch.column(number).to_numpy()
            numbers = pa.array(sequence + np.searchsorted(gaps, sequence, side="left"), pa.int64())
            yield batch.set_column(number, schema.field(number), numbers)
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise _parse_error(path, exc) from exc
    finally:
        con.close()
    problem = f"line longer than {limit:,} bytes"
    rows = [_long_line_row(header, rename, text, row, lineage_path, problem) for row, text in long_lines]
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


def _long_line_row(header, rename, text: str, row_number: int, source_file: str, problem: str) -> dict:
    """A line over the limit as a raw row: each field cut to KEPT_CHARS characters."""
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        fields = next(csv.reader(text.splitlines(keepends=True)), [])
    except csv.Error:
        fields = [text]
    values = dict(zip(header, fields, strict=False))
    row = {target: values.get(source) for source, target in rename.items()}
    row = {name: value[:KEPT_CHARS] if value else None for name, value in row.items()}
    return {
        **row,
        "_source_file": source_file,
        "_source_sheet": None,
        "_source_row_number": row_number,
        "_source_line_problem": problem,
    }


def _remove_copy(path: Path, readable: Path) -> None:
    if readable != path:
        readable.unlink(missing_ok=True)


def detect_online_retail_version(path: Path, header: Sequence[str]) -> OnlineRetailVersion:
    stripped = [name.strip() for name in header]
    for version in ONLINE_RETAIL_VERSIONS:
        if all(column in stripped for column in version.source_columns):
            return version
    # Name the closest layout's first missing column, so a renamed column is easy to spot.
    closest = max(
        ONLINE_RETAIL_VERSIONS,
        key=lambda version: sum(column in stripped for column in version.source_columns),
    )
    expected = " or ".join(",".join(v.source_columns) for v in ONLINE_RETAIL_VERSIONS)
    missing = [column for column in closest.source_columns if column not in stripped]
    raise InputFileError(
        path,
        f"header matches no Online Retail layout; missing {', '.join(missing)} (found: {', '.join(header)})",
        column=missing[0],
        expected=f"Online Retail I or II header ({expected})",
    )


def read_online_retail(
    path: Path,
    output_columns: Sequence[str],
    skipped_sheets: list[str] | None = None,
    *,
    source_file: Path | None = None,
    first_row_number: int = 1,
) -> pa.RecordBatchReader | pa.Table:
    """Online Retail I or II, as .xlsx (every data sheet) or .csv / .csv.gz. The names of
    the workbook sheets left out (empty, or notes whose header is no Online Retail layout)
    are appended to skipped_sheets when given. source_file and first_row_number: a CSV
    tail's lineage (csv_reader)."""
    check_readable_file(path)
    with path.open("rb") as raw:
        magic = raw.read(4)
    if path.suffix.lower() in {".xlsx", ".xlsm"} or magic == ZIP_MAGIC:
        return read_online_retail_workbook(path, output_columns, skipped_sheets)
    if path.suffix.lower() == ".xls":
        raise InputFileError(path, "legacy .xls workbooks are not supported", expected="an .xlsx workbook or a CSV")
    header = read_csv_header(path)
    version = detect_online_retail_version(path, header)
    rename = {_original_name(header, source): target for source, target in version.header}
    return csv_reader(path, rename, output_columns, source_file=source_file, first_row_number=first_row_number)


def _original_name(header: Sequence[str], stripped_name: str) -> str:
    return next(name for name in header if name.strip() == stripped_name)


def data_sheet_version(path: Path, header: Sequence[str]) -> OnlineRetailVersion | None:
    """The layout of a workbook sheet whose first row is `header`; None when it shares fewer
    than half of the closest layout's columns (notes or a pivot beside the data: skipped). A
    sheet sharing more but matching no layout is a data sheet with a renamed or missing
    column, refused (detect_online_retail_version's error)."""
    stripped = [name.strip() for name in header]
    shared = max(
        sum(column in stripped for column in version.source_columns) / len(version.source_columns)
        for version in ONLINE_RETAIL_VERSIONS
    )
    return detect_online_retail_version(path, header) if shared >= 0.5 else None


def read_online_retail_workbook(
    path: Path, output_columns: Sequence[str], skipped_sheets: list[str] | None = None
) -> pa.Table:
    """Every data sheet of a workbook, read by fastexcel (calamine) straight to Arrow."""
    import fastexcel

    if not zipfile.is_zipfile(path):
        raise InputFileError(path, "is not a readable .xlsx workbook (not a zip container)", expected="an .xlsx file")
    try:
        workbook = fastexcel.read_excel(path)
    except Exception as exc:  # fastexcel raises its own error types for broken workbooks
        raise InputFileError(
            path, f"is not a readable .xlsx workbook ({_first_line(exc)})", expected="an .xlsx file"
        ) from exc
    tables = []
    skipped = []
    for sheet_name in workbook.sheet_names:
        sheet = _load_sheet(path, workbook, sheet_name)
        header = sheet.schema.names
        version = data_sheet_version(Path(f"{path} [sheet '{sheet_name}']"), header) if header else None
        if version is None:
            skipped.append(sheet_name)  # empty, or notes / a pivot beside the data: no lines
            continue
        sheet = sheet.slice(0, _rows_up_to_last_value(sheet))
        columns = {
            target: _column_text(sheet.column(_original_name(header, source))) for source, target in version.header
        }
        columns["_source_file"] = pa.repeat(pa.scalar(str(path), pa.string()), sheet.num_rows)
        columns["_source_sheet"] = pa.repeat(pa.scalar(sheet_name, pa.string()), sheet.num_rows)
        columns["_source_row_number"] = pa.array(range(1, sheet.num_rows + 1), pa.int64())
        columns["_source_line_problem"] = pa.nulls(sheet.num_rows, pa.string())
        tables.append(pa.table(columns, schema=text_schema(output_columns)))
    if not tables:
        raise InputFileError(
            path,
            "workbook has no sheet with data" + (f" (sheets skipped: {', '.join(skipped)})" if skipped else ""),
            expected="a sheet with the Online Retail header",
        )
    if skipped_sheets is not None:
        skipped_sheets.extend(skipped)
    return pa.concat_tables(tables)


def _load_sheet(path: Path, workbook, sheet_name: str) -> pa.RecordBatch:
    """A sheet's first non-empty row as column names (none for an empty sheet) and every row
    below it, each column typed from all its cells (text where numbers and text mix)."""
    try:
        return workbook.load_sheet(sheet_name, header_row=0, schema_sample_rows=None, eager=True)
    except Exception as exc:
        raise InputFileError(path, f"sheet '{sheet_name}' cannot be read ({_first_line(exc)})") from exc


def _rows_up_to_last_value(sheet: pa.RecordBatch) -> int:
    """The number of rows once trailing rows without any value (in any column) are dropped."""

    def filled(rows: pa.RecordBatch) -> pa.Array:
        has_value = pa.array([False] * rows.num_rows, pa.bool_())
        for column in rows.columns:
            valid = pc.is_valid(column)
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                valid = pc.and_(valid, pc.not_equal(column, ""))
            has_value = pc.or_kleene(has_value, valid)
        return has_value

    if sheet.num_rows and filled(sheet.slice(sheet.num_rows - 1))[0].as_py():
        return sheet.num_rows  # the usual case: the last row has a value
    rows = pc.indices_nonzero(filled(sheet))
    return rows[-1].as_py() + 1 if len(rows) else 0


def _column_text(column: pa.Array) -> pa.Array:
    """A typed workbook column as the text a CSV export would hold: integral numbers without
    '.0', other numbers in their shortest exact form, date-times to the second (a time alone as
    HH:MM:SS), dates at midnight, booleans as true / false, empty text as null. A column mixing
    text with numbers or dates comes from fastexcel as text already: its numbers rounded to 9
    decimals (as Excel shows them), its date-times with their fractions of a second."""
    kind = column.type
    if pa.types.is_floating(kind):
        return _float_text(column)
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        seconds = pc.floor_temporal(column.cast(pa.timestamp("ms")), unit="second").cast(pa.timestamp("s"))
        text = seconds.cast(pa.string())  # YYYY-MM-DD HH:MM:SS
        # A time of day alone (an Excel serial below 1) comes on 1899-12-31: the time is its text.
        time_only = pc.less(seconds, pa.scalar(EXCEL_FIRST_DAY, pa.timestamp("s")))
        return pc.if_else(time_only, pc.utf8_slice_codeunits(text, 11), text)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = column.cast(pa.string())
        empty = pc.equal(text, "")
        return pc.if_else(empty, pa.scalar(None, pa.string()), text) if pc.any(empty).as_py() else text
    return column.cast(pa.string())


def _float_text(column: pa.Array) -> pa.Array:
    """Integral values below 2**53 as integers, every other value as Python's repr (the
    shortest text that reads back exactly). Arrow's cast writes the same shortest digits, but
    chooses an exponent otherwise: its texts with one, and values below 1e-4 (where repr has
    one), go through repr."""
    magnitude = pc.abs(column)
    integral = pc.and_(pc.equal(pc.floor(column), column), pc.less(magnitude, 2.0**53))
    as_integer = column.cast(pa.int64(), safe=False).cast(pa.string())
    if pc.all(integral).as_py() is not False:
        return as_integer  # quantities, ids: no value needs more
    text = pc.if_else(integral, as_integer, column.cast(pa.string()))
    by_repr = pc.and_(pc.invert(integral), pc.or_(pc.less(magnitude, 1e-4), pc.match_substring(text, "e")))
    rows = pc.indices_nonzero(pc.fill_null(by_repr, False)).to_pylist()
    if not rows:
        return text
    texts = text.to_pylist()
    for row in rows:
        texts[row] = repr(column[row].as_py())
    return pa.array(texts, pa.string())


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duckdb_struct(columns: dict[str, str]) -> str:
    body = ", ".join("'" + name.replace("'", "''") + "': '" + kind + "'" for name, kind in columns.items())
    return "{" + body + "}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


__all__ = [
    "LINEAGE_COLUMNS",
    "csv_has_data_row",
    "csv_reader",
    "detect_encoding",
    "empty_table",
    "match_columns",
    "read_csv_header",
    "read_online_retail",
]
