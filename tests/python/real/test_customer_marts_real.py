"""The customer marts (RFM, segments, cohorts, features) on the real files in ../shared/data,
proven against the reference computation of the raw files (reference.py: plain DuckDB SQL and
pandas apart from the dbt models, with the customer and RFM rules restated there). The
warehouse comes from the `real_build` fixture (Online Retail from the workbook, Olist from
the CSVs)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
from real.reference import cents


@pytest.fixture(scope="module")
def mart_rfm(real_build) -> pd.DataFrame:
    with duckdb.connect(str(real_build.warehouse), read_only=True) as con:
        return con.execute("select * from marts.customer_rfm").df()


def test_customers_and_as_of_dates(real_build, reference, mart_rfm):
    """One row per customer with a sale order; the as-of date is the day after the last order.
    Online Retail customers with cancellations only are in dim_customers, not here."""
    counts = reference.rfm.groupby("store").size().to_dict()
    assert mart_rfm.groupby("store").size().to_dict() == counts
    assert dict(real_build.query("select distinct store, as_of_date from marts.customer_rfm")) == reference.as_of_dates
    assert real_build.scalar("select count(*) from marts.dim_customers where store = 'online_retail'") == (
        counts["online_retail"] + reference.online_retail_counts["cancellation_only_customers"]
    )


def test_net_revenue_and_rfm_values(real_build, reference, mart_rfm):
    """Per store: total monetary (net revenue) to the cent, means of recency, frequency and
    monetary, and every customer's three raw values."""
    mart_totals = dict(real_build.query("select store, sum(monetary) from marts.customer_rfm group by store"))
    assert {store: cents(total) for store, total in mart_totals.items()} == reference.customer_monetary_totals
    expected_rfm = reference.rfm
    for store in ("online_retail", "olist"):
        exp = expected_rfm[expected_rfm.store == store].set_index("customer_id").sort_index()
        got = mart_rfm[mart_rfm.store == store].set_index("customer_id").sort_index()
        assert list(got.index) == list(exp.index)
        for column in ("recency_days", "frequency"):
            assert (got[column].astype(int) == exp[column].astype(int)).all(), column
            assert got[column].mean() == pytest.approx(exp[column].mean())
        assert ((got["monetary"].astype(float) - exp["monetary"]).abs() < 0.005).all()
        assert got["monetary"].astype(float).mean() == pytest.approx(exp["monetary"].mean())


def test_scores_and_segments(reference, mart_rfm):
    """Every customer's scores and segment, and the segment sizes per store."""
    expected_rfm = reference.rfm
    merged = mart_rfm.merge(expected_rfm, on=["store", "customer_id"], suffixes=("", "_expected"))
    assert len(merged) == len(mart_rfm)
    for column in ("r_score", "f_score", "m_score", "fm_score", "rfm_segment"):
        assert (merged[column] == merged[f"{column}_expected"]).all(), column
    assert (merged["rfm_score"] == merged[["r_score", "f_score", "m_score"]].astype(str).agg("".join, axis=1)).all()
    expected_sizes = expected_rfm.groupby(["store", "rfm_segment"]).size().to_dict()
    assert mart_rfm.groupby(["store", "rfm_segment"]).size().to_dict() == expected_sizes


def test_olist_one_order_customers_share_one_frequency_score(reference, mart_rfm):
    """About 97% of Olist persons buy once: they all score F = 1, every repeat customer F = 5.
    The RFM counts sale orders kept (not canceled / unavailable): 2,888 repeat customers of
    the 94,990 persons with such an order (MANIFEST.md, orders of any status: 2,997 of 96,096)."""
    persons = reference.olist_counts["customers"]
    repeat = reference.olist_counts["repeat_customers"]
    assert round(1 - repeat / persons, 2) == 0.97
    f_scores = mart_rfm[mart_rfm.store == "olist"].groupby("f_score").size().to_dict()
    assert f_scores == {1: persons - repeat, 5: repeat}
    # So no one-order customer is a Champion, Loyal Customer or Can't Lose Them.
    one_order = mart_rfm[(mart_rfm.store == "olist") & (mart_rfm.frequency == 1)]
    assert not set(one_order["rfm_segment"]) & {"Champions", "Loyal Customers", "Can't Lose Them"}


def test_segment_summary(real_build, reference):
    expected_rfm = reference.rfm
    rows = real_build.query(
        "select store, rfm_segment, customers, customer_share, net_revenue_amount, revenue_share, "
        "median_recency_days, median_frequency from marts.rfm_segment_summary"
    )
    assert len(rows) == 2 * 11
    for store, segment, customers, customer_share, revenue, revenue_share, median_recency, median_frequency in rows:
        part = expected_rfm[(expected_rfm.store == store) & (expected_rfm.rfm_segment == segment)]
        store_part = expected_rfm[expected_rfm.store == store]
        assert customers == len(part)
        assert customer_share == pytest.approx(len(part) / len(store_part))
        assert float(revenue) == pytest.approx(part["monetary"].sum(), abs=0.005)
        assert revenue_share == pytest.approx(part["monetary"].sum() / store_part["monetary"].sum())
        if len(part):
            assert median_recency == pytest.approx(part["recency_days"].median())
            assert median_frequency == pytest.approx(part["frequency"].median())


def test_cohorts(real_build, reference):
    """Cohort sizes, customers active per month since the first order, and revenue."""
    expected = reference.cohorts
    got = {
        (store, str(cohort), months): (active, cents(revenue))
        for store, cohort, months, active, revenue in real_build.query(
            "select store, cohort_month, months_since_first_order, active_customers, net_revenue_amount "
            "from marts.customer_cohorts"
        )
    }
    # Every month with activity is in the mart with the same figures; the others are zeros.
    assert {key: got[key] for key in expected} == expected
    assert all(value == (0, Decimal("0.00")) for key, value in got.items() if key not in expected)
    mart_sizes = dict(
        real_build.query(
            "select distinct store || ':' || strftime(cohort_month, '%Y-%m-%d'), cohort_customers from marts.customer_cohorts"
        )
    )
    assert mart_sizes == reference.cohort_sizes
    # Full curves: Online Retail's first cohort runs to the store's last month.
    first_cohort = min(month for store, month, _ in expected if store == "online_retail")
    last_day = reference.as_of_dates["online_retail"] - timedelta(days=1)
    first = date.fromisoformat(first_cohort)
    assert (
        real_build.scalar(
            "select max(months_since_first_order) from marts.customer_cohorts "
            "where store = 'online_retail' and cohort_month = ?",
            [first],
        )
        == (last_day.year - first.year) * 12 + last_day.month - first.month
    )


def test_features(real_build, reference):
    """customer_features: one row per RFM customer with the same raw values, and products,
    gaps between orders, deliveries and instalments recomputed."""
    customers = len(reference.rfm)
    assert real_build.scalar("select count(*) from marts.customer_features") == customers
    assert (
        real_build.scalar(
            "select count(*) from marts.customer_features as f inner join marts.customer_rfm as r "
            "on f.customer_key = r.customer_key and f.recency_days = r.recency_days "
            "and f.frequency = r.frequency and f.monetary = r.monetary"
        )
        == customers
    )
    assert (
        real_build.scalar(
            "select sum(distinct_product_count) from marts.customer_features where store = 'online_retail'"
        )
        == reference.online_retail_customer_products
    )
    for store, mean_gap in reference.mean_days_between_orders.items():
        assert real_build.scalar(
            "select avg(mean_days_between_orders) from marts.customer_features where store = ?", [store]
        ) == pytest.approx(mean_gap)
    counts = reference.olist_counts
    assert real_build.query(
        "select sum(late_delivery_count), sum(delivered_order_count) from marts.customer_features where store = 'olist'"
    )[0] == (counts["late"], counts["measured"])
    assert real_build.scalar(
        "select avg(mean_installments) from marts.customer_features where store = 'olist'"
    ) == pytest.approx(reference.olist_mean_installments)

    # The reviews file is absent from the real data: no review feature.
    assert real_build.scalar("select count(mean_review_score) from marts.customer_features") == 0
    # Olist-only features are null for Online Retail.
    assert (
        real_build.scalar(
            "select count(*) from marts.customer_features where store = 'online_retail' "
            "and (distinct_category_count is not null or late_delivery_count is not null or mean_installments is not null)"
        )
        == 0
    )
