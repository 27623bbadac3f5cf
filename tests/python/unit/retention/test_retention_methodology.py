"""Methodology of the retention tests: censoring at the data end, no test by a grouping built
from the outcome, Holm on every family."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.ml.retention import survival, tables


def test_orders_after_the_data_end_are_censored_not_observed():
    """A next order past the data end (a trickle of late orders) is outside the observed
    history: censored at the data end, and a first order there has no follow-up."""
    orders = pd.DataFrame(
        {
            "customer_key": ["a", "a", "b", "c"],
            "order_date": pd.to_datetime(["2018-08-01", "2018-09-15", "2018-08-20", "2018-10-01"]),
        }
    )
    frame = survival.time_to_repeat_purchase(orders, pd.Timestamp("2018-08-28")).set_index("customer_key")
    assert list(frame.index) == ["a", "b"]
    assert frame.loc["a", "duration_days"] == 27 and not frame.loc["a", "observed"]
    assert frame.loc["b", "duration_days"] == 8 and not frame.loc["b", "observed"]


def _store(seed: int = 0, customers: int = 600) -> tuple[pd.DataFrame, ...]:
    """A store whose repeat buyers are, as in RFM, the ones later labelled 'Champions'."""
    rng = np.random.default_rng(seed)
    keys = [f"s:{i:04d}" for i in range(customers)]
    first = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, customers), unit="D")
    repeat = rng.random(customers) < 0.3
    rows = [(k, d) for k, d in zip(keys, first, strict=True)]
    rows += [
        (k, d + pd.Timedelta(days=int(g)))
        for k, d, g, r in zip(keys, first, rng.integers(5, 60, customers), repeat, strict=True)
        if r
    ]
    sale_days = pd.DataFrame(rows, columns=["customer_key", "order_date"]).assign(store="s")
    end_dates = pd.DataFrame({"store": ["s"], "end_date": [pd.Timestamp("2020-12-31")]})
    country = rng.choice(["UK", "FR", "DE"], customers)
    customers_frame = pd.DataFrame({"store": "s", "customer_key": keys, "country_name": country, "state": None})
    segments = pd.DataFrame({"customer_key": keys, "rfm_segment": np.where(repeat, "Champions", "Lost")})
    return sale_days, end_dates, customers_frame, segments


def test_no_log_rank_test_by_the_rfm_segment_built_from_the_outcome():
    tests = tables.retention_tests(*_store())
    assert "rfm_segment" not in set(tests["dimension"])
    # The curves still describe the segments.
    curves = tables.retention_survival(*_store())
    assert "rfm_segment" in set(curves["dimension"])


def test_holm_adjusts_every_family_including_the_multivariate_rows():
    tests = tables.retention_tests(*_store())
    overall = tests[tests["test"] == "multivariate_logrank"].set_index("dimension")
    assert set(overall.index) == {"acquisition_quarter", "country"}
    smallest = overall["p_value"].idxmin()
    # Holm over 2 tests: the smallest p-value is doubled (capped at 1), not copied.
    assert overall.loc[smallest, "p_value_holm"] == min(1.0, 2 * overall.loc[smallest, "p_value"])
    assert (tests["p_value_holm"] >= tests["p_value"] - 1e-12).all()
    assert set(tests["holm_family"]) == {"multivariate tests of the store", "pairs of country"}
