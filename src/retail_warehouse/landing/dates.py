"""Which order an export writes its dates in: ISO, day-first or month-first.

Spreadsheet and regional exports write `01/06/2011 08:26` for 1 June (day-first, most of the
world) or for 6 January (month-first, the US). The order is read from the data: a first part
above 12 can only be a day, a second part above 12 only a day. A file whose numeric dates
never tell (every part up to 12) is ambiguous and refused; a file telling both ways is
inconsistent and refused. Staging parses the column with the order found (recorded in
raw.landing__file_loads).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ISO = "iso"
DAY_FIRST = "day_first"
MONTH_FIRST = "month_first"

# d/m/y or m/d/y with one- or two-digit parts, a 2- or 4-digit year, '/', '.' or '-' between
# them, and an optional time.
NUMERIC_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T].*)?")


class AmbiguousDates(ValueError):
    """The dates do not say, or contradict, which part is the day; the message says which."""


def detect_date_order(values: Iterable[str | None]) -> str | None:
    """ISO when no value is a numeric d/m/y date, else the order the values prove; None when
    there is no value. Values of other shapes are left to staging (quarantined there)."""
    first_is_day = second_is_day = None
    numeric = seen = 0
    for value in values:
        if value is None or not value.strip():
            continue
        seen += 1
        match = NUMERIC_DATE.fullmatch(value.strip())
        if match is None:
            continue
        numeric += 1
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 and first_is_day is None:
            first_is_day = value.strip()
        if second > 12 and second_is_day is None:
            second_is_day = value.strip()
    if seen == 0:
        return None
    if numeric == 0:
        return ISO
    if first_is_day and second_is_day:
        raise AmbiguousDates(f"dates are written both day-first ({first_is_day!r}) and month-first ({second_is_day!r})")
    if first_is_day:
        return DAY_FIRST
    if second_is_day:
        return MONTH_FIRST
    raise AmbiguousDates(
        f"{numeric} dates are written d/m/y or m/d/y with every part up to 12, so whether the day or "
        "the month comes first cannot be told"
    )
