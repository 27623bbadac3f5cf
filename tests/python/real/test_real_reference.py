"""The reference computation of the real files (reference.py) checked against what
../shared/data/MANIFEST.md states and against the figures measured with it: the real-data
tests compare the marts with this computation, so it must itself be right. No dbt build."""

from __future__ import annotations

from datetime import timedelta

import pytest
from real.reference import (
    MANIFEST_OLIST_DELIVERED,
    MANIFEST_OLIST_DELIVERED_WITHOUT_DATE,
    MANIFEST_OLIST_ITEMS,
    MANIFEST_OLIST_LAST_ESTIMATED_DELIVERY_DAY,
    MANIFEST_OLIST_LAST_PURCHASE_DAY,
    MANIFEST_OLIST_ORDERS,
    MANIFEST_OLIST_ORDERS_WITHOUT_ITEMS,
    MANIFEST_OLIST_PERSONS,
    MANIFEST_OLIST_REPEAT_PERSONS,
    MANIFEST_OLIST_STATES,
    MANIFEST_OR_CUSTOMERS,
    MANIFEST_OR_DISTINCT_LINES,
    MANIFEST_OR_FIRST_DAY,
    MANIFEST_OR_LAST_DAY,
    MANIFEST_OR_LINES,
    MANIFEST_OR_REVENUE,
    MEASURED,
    cents,
)


def test_online_retail_counts_agree_with_the_manifest(reference):
    counts = reference.online_retail_counts
    assert counts["raw_lines"] == MANIFEST_OR_LINES
    assert counts["distinct_lines"] == MANIFEST_OR_DISTINCT_LINES
    assert counts["customers"] == MANIFEST_OR_CUSTOMERS
    assert reference.as_of_dates["online_retail"] == MANIFEST_OR_LAST_DAY + timedelta(days=1)


def test_online_retail_revenue_reconciles_with_the_manifest(reference):
    """MANIFEST 10,666,684.54 is quantity x price over the raw file's lines with quantity > 0,
    price > 0 and no C invoice, exact duplicates included. Gross sales differ from it by two
    amounts: the sales among the exact duplicate lines, which staging quarantines, and the
    positive bad-debt adjustment A563185, an accounting entry, not a sale. Net revenue is gross
    sales - cancellations."""
    amounts = reference.online_retail_amounts
    assert cents(amounts["manifest_revenue"]) == MANIFEST_OR_REVENUE
    assert cents(amounts["manifest_revenue"] - amounts["duplicate_sales"] - amounts["bad_debt_sales"]) == cents(
        amounts["gross_sales"]
    )
    assert cents(amounts["bad_debt_sales"]) == MEASURED["online_retail_bad_debt_sales"]
    assert cents(amounts["net_revenue"]) == cents(amounts["gross_sales"] - amounts["cancellations"])
    assert cents(amounts["net_revenue"]) == MEASURED["online_retail_net_revenue"]


def test_online_retail_measured_counts(reference):
    counts = reference.online_retail_counts
    assert counts["sale_orders"] == MEASURED["online_retail_sale_orders"]
    assert counts["cancellation_only_customers"] == MEASURED["online_retail_cancellation_only_customers"]
    # Every CustomerID is an RFM customer (it has a sale order) or has cancellations only.
    rfm_customers = reference.rfm.groupby("store").size()["online_retail"]
    assert rfm_customers == MEASURED["online_retail_rfm_customers"]
    assert rfm_customers + counts["cancellation_only_customers"] == MANIFEST_OR_CUSTOMERS


def test_olist_counts_agree_with_the_manifest(reference):
    counts = reference.olist_counts
    assert counts["orders"] == MANIFEST_OLIST_ORDERS
    assert counts["items"] == MANIFEST_OLIST_ITEMS
    assert counts["persons"] == MANIFEST_OLIST_PERSONS
    assert counts["repeat_persons"] == MANIFEST_OLIST_REPEAT_PERSONS
    assert counts["delivered"] == MANIFEST_OLIST_DELIVERED
    assert counts["measured"] == MANIFEST_OLIST_DELIVERED - MANIFEST_OLIST_DELIVERED_WITHOUT_DATE
    assert counts["orders_without_items"] == MANIFEST_OLIST_ORDERS_WITHOUT_ITEMS
    assert counts["states"] == MANIFEST_OLIST_STATES
    assert reference.as_of_dates["olist"] == MANIFEST_OLIST_LAST_PURCHASE_DAY + timedelta(days=1)


def test_fact_dates_span_the_manifest_ranges(reference):
    """The first invoice (2010-12-01) to the last estimated Olist delivery (2018-11-12)."""
    assert reference.fact_date_range == (MANIFEST_OR_FIRST_DAY, MANIFEST_OLIST_LAST_ESTIMATED_DELIVERY_DAY)


def test_olist_measured_figures(reference):
    assert cents(reference.olist_amounts["gmv"]) == MEASURED["olist_gmv"]
    # Every Olist order has a customer: the customers' net revenue is the whole GMV.
    assert reference.customer_monetary_totals["olist"] == MEASURED["olist_gmv"]
    assert round(reference.olist_on_time_share, 4) == MEASURED["olist_on_time_share"]
    assert round(reference.olist_mean_delivery_days, 2) == MEASURED["olist_mean_delivery_days"]


def test_measured_peaks(reference):
    assert reference.best_month == MEASURED["best_month"]
    assert reference.busiest_weekday_hour == MEASURED["busiest_weekday_hour"]


def test_rfm_reference_scores_every_customer_once(reference):
    rfm = reference.rfm
    assert not rfm.duplicated(["store", "customer_id"]).any()
    assert rfm[["r_score", "f_score", "m_score", "fm_score"]].isin([1, 2, 3, 4, 5]).all().all()
    assert rfm["frequency"].min() >= 1
    assert sum(reference.cohort_sizes.values()) == len(rfm)


@pytest.mark.parametrize("store", ["online_retail", "olist"])
def test_daily_revenue_adds_up_to_the_store_net_revenue(reference, store):
    total = sum(value for (day_store, _), value in reference.daily_net_revenue.items() if day_store == store)
    expected = (
        reference.online_retail_amounts["net_revenue"] if store == "online_retail" else reference.olist_amounts["gmv"]
    )
    assert total == cents(expected)
