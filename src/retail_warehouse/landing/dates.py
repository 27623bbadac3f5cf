"""How an Online Retail file writes its dates (InvoiceDate), read from its values as it lands.

ISO unless most of the file's dates are numeric d/m/y or m/d/y (one- or two-digit parts, a 2-
or 4-digit year, '/', '.' or '-', an optional time); then a first part above 12 proves
day-first, a second part above 12 month-first; neither (every part up to 12) or both is
ambiguous. The order is recorded per file in raw.landing__file_loads.date_order, and staging
(base_online_retail__invoice_lines) reads the dates in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

NUMERIC_DATE = r"^(?P<first>[0-9]{1,2})[/.-](?P<second>[0-9]{1,2})[/.-](?:[0-9]{2}|[0-9]{4})(?:[ T].*)?$"
DATE_ORDERS = ("iso", "day_first", "month_first", "ambiguous")


@dataclass
class DateOrder:
    """The evidence for a file's date order, added to batch by batch (observe)."""

    dates: int = 0
    numeric_dates: int = 0
    first_part_above_12: bool = False
    second_part_above_12: bool = False

    def observe(self, values: pa.Array | pa.ChunkedArray) -> None:
        """Add a batch of InvoiceDate texts (nulls are no dates)."""
        parts = pc.extract_regex(pc.utf8_trim(values, characters=" "), pattern=NUMERIC_DATE)
        self.dates += len(values) - values.null_count
        self.numeric_dates += len(parts) - parts.null_count
        self.first_part_above_12 |= _any_above_12(pc.struct_field(parts, "first"))
        self.second_part_above_12 |= _any_above_12(pc.struct_field(parts, "second"))

    @property
    def order(self) -> str:
        """iso, day_first, month_first or ambiguous."""
        if self.numeric_dates * 2 <= self.dates:
            return "iso"
        if self.first_part_above_12 != self.second_part_above_12:
            return "day_first" if self.first_part_above_12 else "month_first"
        return "ambiguous"


def _any_above_12(parts: pa.Array | pa.ChunkedArray) -> bool:
    return pc.any(pc.greater(pc.cast(parts, pa.int32()), 12)).as_py() is True


def observed(result: pa.Table | pa.RecordBatchReader, column: str, date_order: DateOrder):
    """The landed rows, unchanged, with `column` observed by date_order as they pass (a
    workbook's table at once, a CSV's stream batch by batch)."""
    if isinstance(result, pa.Table):
        date_order.observe(result.column(column))
        return result

    def batches():
        for batch in result:
            date_order.observe(batch.column(column))
            yield batch

    return pa.RecordBatchReader.from_batches(result.schema, batches())
