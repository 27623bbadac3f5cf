"""Streaming CSV and xlsx writers shared by every generated file.

CSV rows are assembled from Arrow string columns (see textcols) and written chunk by chunk;
the dialect carries each data set's byte-level habits. The xlsx writer uses xlsxwriter's
constant_memory mode (rows go straight to a temp file) and fixed document properties, so
the same rows always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

# Data rows per sheet: Excel's 1,048,576 rows less the header.
XLSX_MAX_DATA_ROWS = 1_048_575
# Fixed so that workbooks are byte-identical across runs (xlsxwriter stamps 'now' otherwise).
XLSX_CREATED = dt.datetime(2012, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class CsvDialect:
    newline: str = "\n"
    quote_header: bool = False
    # Olist quotes text values that begin with a digit (ids, zip prefixes), not only those with commas.
    quote_leading_digit: bool = False
    bom: bool = False
    final_newline: bool = True


ONLINE_RETAIL_CSV = CsvDialect()
OLIST_CSV = CsvDialect(quote_header=True, quote_leading_digit=True)
OLIST_TRANSLATION_CSV = CsvDialect(newline="\r\n", bom=True, final_newline=False)


def quote_as_needed(column: pa.Array, leading_digit: bool) -> pa.Array:
    """RFC-4180 quoting of the values that need it (and, for Olist, of those starting with a digit)."""
    pattern = r'^[0-9]|[",\r\n]' if leading_digit else r'[",\r\n]'
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(column, pattern), quoted, column)


class CsvWriter:
    """Appends chunks of rows (lists of Arrow string columns, null = empty field) to one CSV."""

    def __init__(self, path: Path, header: Sequence[str], dialect: CsvDialect, text_columns: Sequence[str] = ()):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.dialect = dialect
        self.rows = 0
        self._quoted = [name in text_columns for name in header]
        self._file = path.open("wb")
        names = [f'"{name}"' if dialect.quote_header else name for name in header]
        self._file.write(("\ufeff" if dialect.bom else "").encode() + ",".join(names).encode())

    def write(self, columns: Sequence[pa.Array]) -> None:
        if len(columns[0]) == 0:
            return
        fields = [
            quote_as_needed(column, self.dialect.quote_leading_digit) if quoted else column
            for column, quoted in zip(columns, self._quoted)
        ]
        joined = pc.binary_join_element_wise(*fields, ",", null_handling="replace", null_replacement="")
        # Each row carries the line break *before* it, so a file can end without one.
        lines = pc.binary_join_element_wise(self.dialect.newline, joined, "")
        self._file.write(_string_data(lines))
        self.rows += len(lines)

    def close(self) -> None:
        if self.dialect.final_newline:
            self._file.write(self.dialect.newline.encode())
        self._file.close()

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _string_data(array: pa.StringArray) -> memoryview:
    """The concatenated UTF-8 bytes of all values of a null-free string array."""
    _, offsets, data = array.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[[array.offset, array.offset + len(array)]]
    return memoryview(data)[bounds[0] : bounds[1]]


# Cell kinds of an xlsx column: text, number, an Excel serial date-time, or a code that is a
# number when all digits and text otherwise (InvoiceNo, StockCode in the UCI workbook).
TEXT, NUMBER, DATETIME, CODE = "text", "number", "datetime", "code"


class XlsxWriter:
    """Streams typed rows into named sheets; each sheet's rows are appended in order (sheets
    may be written in turn: constant_memory keeps one open row per sheet)."""

    def __init__(self, path: Path, sheet_names: Sequence[str], header: Sequence[str], kinds: Sequence[str]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self._workbook.set_properties({"created": XLSX_CREATED})
        date_format = self._workbook.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})
        self._sheets = [self._workbook.add_worksheet(name) for name in sheet_names]
        self._rows = [0] * len(sheet_names)
        self._cell_writers = [_cell_writers(sheet, kinds, date_format) for sheet in self._sheets]
        for sheet in self._sheets:
            for col, name in enumerate(header):
                sheet.write_string(0, col, name)

    @property
    def rows(self) -> list[int]:
        return list(self._rows)

    def write(self, sheet_index: int, columns: Sequence[list]) -> None:
        """Append rows given as per-column Python lists (None = empty cell)."""
        count = len(columns[0])
        if self._rows[sheet_index] + count > XLSX_MAX_DATA_ROWS:
            raise ValueError(f"{self.path}: sheet {sheet_index} would exceed {XLSX_MAX_DATA_ROWS} rows")
        writers = self._cell_writers[sheet_index]
        first_row = self._rows[sheet_index] + 1  # row 0 is the header
        for row, values in enumerate(zip(*columns), start=first_row):
            for col, value in enumerate(values):
                if value is not None:
                    writers[col](row, col, value)
        self._rows[sheet_index] += count

    def close(self) -> None:
        self._workbook.close()

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _cell_writers(sheet, kinds: Sequence[str], date_format) -> list:
    def write_datetime(row: int, col: int, serial: float) -> None:
        sheet.write_number(row, col, serial, date_format)

    by_kind = {
        TEXT: sheet.write_string,
        NUMBER: sheet.write_number,
        DATETIME: write_datetime,
        CODE: sheet.write,  # dispatches on the Python type: int -> number, str -> string
    }
    return [by_kind[kind] for kind in kinds]
