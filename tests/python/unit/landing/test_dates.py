"""Unit tests of the date order read from an export's values."""

from __future__ import annotations

import pytest

from retail_warehouse.landing.dates import DAY_FIRST, ISO, MONTH_FIRST, AmbiguousDates, detect_date_order


@pytest.mark.parametrize(
    ("values", "order"),
    [
        (["2011-06-01 08:26:00", "2011-06-13T08:26:00.5+01:00"], ISO),
        (["01/06/2011 08:26", "13/06/2011 08:26"], DAY_FIRST),
        (["1/6/11 8:26", "25.12.2011"], DAY_FIRST),
        (["06/01/2011 08:26", "06/13/2011 08:26"], MONTH_FIRST),
        (["6/13/2011"], MONTH_FIRST),
        ([None, "", "  "], None),
        (["2011-06-01 08:26:00", "not a date"], ISO),
    ],
)
def test_the_order_is_read_from_the_values(values, order):
    assert detect_date_order(values) == order


def test_dates_that_never_tell_the_day_are_ambiguous():
    with pytest.raises(AmbiguousDates, match="cannot be told"):
        detect_date_order(["01/06/2011 08:26", "02/06/2011 09:00"])


def test_dates_telling_both_orders_are_refused():
    with pytest.raises(AmbiguousDates, match=r"both day-first .*'13/06/2011'.* and month-first .*'06/14/2011'"):
        detect_date_order(["13/06/2011", "06/14/2011"])
