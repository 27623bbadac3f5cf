"""Unit tests of retail_warehouse.ml.retention (Kaplan-Meier retention, log-rank tests, groups)."""

from __future__ import annotations

import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml.retention import groups, survival, tables
from retail_warehouse.ml.retention.survival import time_to_repeat_purchase


def orders_of(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_key", "order_date"])


def test_time_to_repeat_purchase_observes_and_censors():
    orders = orders_of(
        [
            ("a", "2020-01-01"),
            ("a", "2020-01-01"),
            ("a", "2020-01-11"),
            ("a", "2020-03-01"),
            ("b", "2020-01-05"),
            ("c", "2020-01-31"),
        ]
    )
    frame = survival.time_to_repeat_purchase(orders, pd.Timestamp("2020-01-31")).set_index("customer_key")
    # a: two orders on the first day are one visit; the next day with an order is day 10.
    assert frame.loc["a", "duration_days"] == 10 and frame.loc["a", "observed"]
    # b: no next order, censored at the store's last date.
    assert frame.loc["b", "duration_days"] == 26 and not frame.loc["b", "observed"]
    # c: first order on the last day, censored at 0.
    assert frame.loc["c", "duration_days"] == 0 and not frame.loc["c", "observed"]
    assert survival.time_to_repeat_purchase(orders_of([]), pd.Timestamp("2020-01-31")).empty


def test_kaplan_meier_matches_hand_computation():
    # Durations 2, 3+ (censored), 5, 5, 8+: S(2) = 4/5, S(5) = 4/5 * 1/3 (3 at risk, 2 events).
    durations = pd.Series([2, 3, 5, 5, 8])
    observed = pd.Series([True, False, True, True, False])
    table = survival.kaplan_meier_table(durations, observed)
    at = table.set_index("time_days")
    assert at.loc[2, "survival"] == pytest.approx(0.8)
    assert at.loc[3, "survival"] == pytest.approx(0.8)
    assert at.loc[5, "survival"] == pytest.approx(0.8 / 3)
    assert at.loc[5, "at_risk"] == 3 and at.loc[5, "events"] == 2
    assert (table["ci_lower"] <= table["survival"] + 1e-12).all()
    assert (table["survival"] <= table["ci_upper"] + 1e-12).all()
    assert survival.survival_time_at(table, 0.5) == 5
    assert survival.survival_time_at(table, 0.8) == 2
    assert survival.survival_at(table, 4) == pytest.approx(0.8)
    assert survival.survival_at(table, 1) == 1.0
    assert np.isnan(survival.survival_at(table, 9))


def test_median_is_undefined_when_the_curve_stays_above_half():
    durations = pd.Series([1, 10, 10, 10, 10])
    observed = pd.Series([True, False, False, False, False])
    table = survival.kaplan_meier_table(durations, observed)
    assert np.isnan(survival.survival_time_at(table, 0.5))
    assert np.isnan(survival.survival_time_at(table, 0.75))


def test_logrank_separates_different_groups_and_not_equal_ones():
    rng = np.random.default_rng(3)
    fast = rng.exponential(10, 300)
    slow = rng.exponential(40, 300)
    frame = pd.DataFrame(
        {
            "duration_days": np.concatenate([fast, slow, rng.exponential(10, 300)]).round() + 1,
            "observed": True,
            "group": ["fast"] * 300 + ["slow"] * 300 + ["fast_too"] * 300,
        }
    )
    tests = survival.logrank_tests(frame, "group")
    overall = tests[tests.test == "multivariate_logrank"].iloc[0]
    assert overall.p_value < 1e-6 and overall.degrees_of_freedom == 2
    pairs = tests[tests.test == "pairwise_logrank"].set_index(["group_a", "group_b"])
    assert len(pairs) == 3
    assert pairs.loc[("fast", "slow"), "p_value_holm"] < 1e-6
    assert pairs.loc[("fast", "fast_too"), "p_value"] > 0.01
    assert (pairs.p_value_holm >= pairs.p_value).all()
    single = survival.logrank_tests(frame.assign(group="one"), "group")
    assert single.empty


def test_pairwise_logrank_matches_lifelines():
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(8)
    durations = np.concatenate([rng.integers(0, 60, 200), rng.integers(0, 90, 150)])
    observed = rng.random(350) < 0.7
    in_first = np.arange(350) < 200
    statistic, p_value = survival.logrank_two_groups(durations, observed, in_first)
    reference = logrank_test(durations[in_first], durations[~in_first], observed[in_first], observed[~in_first])
    assert statistic == pytest.approx(reference.test_statistic)
    assert p_value == pytest.approx(reference.p_value)
    assert survival.logrank_two_groups(durations, np.zeros(350, bool), in_first) == (0.0, 1.0)


def test_summary_reads_the_curve():
    curve = survival.kaplan_meier_table(pd.Series([2, 3, 5, 5, 8, 40]), pd.Series([1, 0, 1, 1, 0, 1], dtype=bool))
    summary = survival.summarise_curve(curve)
    assert summary["customers"] == 6 and summary["events"] == 4
    assert summary["median_days"] == 5 and summary["max_follow_up_days"] == 40
    assert summary["survival_at_30_days"] == pytest.approx(survival.survival_at(curve, 30))
    assert np.isnan(summary["survival_at_90_days"])


def test_top_groups_and_quarters():
    values = pd.Series(["UK", "UK", "UK", "FR", "FR", "DE", None])
    assert groups.top_groups(values, 2).tolist() == ["UK", "UK", "UK", "FR", "FR", "Other", "Other"]
    quarters = groups.acquisition_quarter(pd.Series(pd.to_datetime(["2010-12-01", "2011-04-01"])))
    assert quarters.tolist() == ["2010-Q4", "2011-Q2"]


def test_the_tables_of_a_tiny_store():
    sale_days = pd.DataFrame(
        {
            "store": "s",
            "customer_key": ["s:a", "s:a", "s:b"],
            "order_date": pd.to_datetime(["2020-01-01", "2020-01-05", "2020-02-01"]),
        }
    )
    end_dates = pd.DataFrame({"store": ["s"], "end_date": pd.to_datetime(["2020-03-01"])})
    customers = pd.DataFrame(
        {"store": "s", "customer_key": ["s:a", "s:b"], "country_name": ["UK", "FR"], "state": [None, None]}
    )
    segments = pd.DataFrame({"customer_key": ["s:a", "s:b"], "rfm_segment": ["Champions", None]})
    frame = tables.survival_frames(sale_days, end_dates, customers, segments)["s"]
    assert frame.rfm_segment.tolist() == ["Champions", "Unknown"]
    curves = tables.retention_survival(sale_days, end_dates, customers, segments)
    summary = tables.retention_group_summary(curves)
    assert list(summary.columns) == list(tables.SUMMARY_SCHEMA)
    assert set(summary.dimension) == {"overall", "acquisition_quarter", "country", "rfm_segment"}
    overall = summary[summary.dimension == "overall"].iloc[0]
    assert overall.customers == 2 and overall.events == 1
    tests = tables.retention_tests(sale_days, end_dates, customers, segments)
    assert set(tests.dimension) <= {"acquisition_quarter", "country"}
    empty = tables.retention_tests(sale_days.iloc[:0], end_dates, customers, segments)
    assert empty.empty and list(empty.columns) == list(tables.TESTS_SCHEMA)


def test_first_two_sale_days_give_the_durations_of_the_whole_history():
    """The survival reads two days per customer, counted in DuckDB: the same durations as from
    every order day (several orders a day, cancelled and non-sale orders, days after the data
    end, two stores)."""
    rng = np.random.default_rng(3)
    rows = []
    for n in range(200):
        store = "olist" if n % 3 == 0 else "online_retail"
        for _ in range(rng.integers(1, 6)):
            rows.append(
                {
                    "store": store,
                    "customer_key": f"{store}:{n}",
                    "order_date": pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 120))),
                    "order_type": "sale" if rng.random() < 0.9 else "return",
                    "is_cancelled": bool(rng.random() < 0.1),
                }
            )
    orders = pd.DataFrame(rows)
    orders["order_date"] = orders["order_date"].dt.date
    ends = pd.DataFrame(
        {"store": ["online_retail", "olist"], "data_end_date": [datetime.date(2020, 3, 1), datetime.date(2020, 4, 1)]}
    )
    connection = duckdb.connect()
    two_days = tables.first_two_sale_days(connection.from_df(orders), connection.from_df(ends))
    assert two_days.groupby(["store", "customer_key"]).size().max() == 2
    # What the models read before: every distinct sale day.
    sales = connection.from_df(orders).filter(tables.SALE_ORDERS).project("store, customer_key, order_date").distinct()
    sales = sales.order("all").df()
    for store, end in ends.itertuples(index=False):
        whole = time_to_repeat_purchase(sales[sales.store == store], pd.Timestamp(end))
        from_two = time_to_repeat_purchase(two_days[two_days.store == store], pd.Timestamp(end))
        pd.testing.assert_frame_equal(from_two, whole)
        assert whole.observed.any() and not whole.observed.all()
