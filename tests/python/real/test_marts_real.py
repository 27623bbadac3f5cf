"""The Kimball marts on the real files in ../shared/data, proven against the reference
computation of the raw files (reference.py: plain DuckDB SQL apart from the dbt models, with
the revenue rules restated there). The warehouse comes from the `real_build` fixture (Online
Retail from the workbook, Olist from the CSVs; test_pipeline_real proves that the workbook and
the CSV give the same staged lines)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from real.reference import cents

# ------------------------------------------------------------------ Online Retail


def test_online_retail_customers(real_build, reference):
    """Every CustomerID of the file is a customer: dropping exact duplicate lines removes no
    customer, and the customers with cancellations only are kept (their cancellation
    invoices point at them)."""
    counts = reference.online_retail_counts
    assert (
        real_build.scalar("select count(*) from marts.dim_customers where store = 'online_retail'")
        == (counts["customers"])
    )
    assert (
        real_build.scalar(
            "select count(*) from marts.dim_customers where store = 'online_retail' and first_order_at is null"
        )
        == counts["cancellation_only_customers"]
    )


def test_online_retail_net_revenue(real_build, reference):
    """Gross sales, cancellations and net revenue (also of the lines with a customer and of the
    product lines) of the facts, to the cent."""
    amounts = reference.online_retail_amounts
    lines = real_build.query(
        """
        select sum(gross_sales_amount), sum(cancellation_amount), sum(net_revenue_amount),
               sum(net_revenue_amount) filter (where customer_key is not null),
               sum(net_revenue_amount) filter (where is_product)
        from marts.fct_order_lines where store = 'online_retail'
        """
    )[0]
    assert [cents(value) for value in lines] == [
        cents(amounts[name])
        for name in ("gross_sales", "cancellations", "net_revenue", "net_revenue_with_customer", "product_net_revenue")
    ]
    orders = real_build.query(
        """
        select sum(gross_sales_amount), sum(cancellation_amount), sum(net_revenue_amount)
        from marts.fct_orders where store = 'online_retail'
        """
    )[0]
    assert [cents(value) for value in orders] == [
        cents(amounts[name]) for name in ("gross_sales", "cancellations", "net_revenue")
    ]


def test_online_retail_grain(real_build, reference):
    """One fct_order_lines row per usable line, one fct_orders row per invoice; lines without
    a customer stay in the facts."""
    counts = reference.online_retail_counts
    assert (
        real_build.scalar("select count(*) from marts.fct_order_lines where store = 'online_retail'")
        == counts["distinct_lines"]
    )
    assert (
        real_build.scalar("select count(*) from marts.fct_orders where store = 'online_retail'") == counts["invoices"]
    )
    assert (
        real_build.scalar(
            "select count(*) from marts.fct_order_lines where store = 'online_retail' and customer_key is null"
        )
        == counts["lines_without_customer"]
    )


def test_online_retail_countries_are_standardised(real_build):
    countries = {
        name
        for (name,) in real_build.query(
            "select distinct country_name from marts.fct_orders where store = 'online_retail'"
        )
    }
    assert {"Ireland", "South Africa", "Unspecified", "European Community"} <= countries
    assert not {"EIRE", "RSA"} & countries


# ------------------------------------------------------------------ Olist


def test_olist_customers_are_persons(real_build, reference):
    persons = reference.olist_counts["persons"]
    assert real_build.scalar("select count(*) from marts.dim_customers where store = 'olist'") == persons
    assert (
        real_build.scalar("select count(distinct customer_key) from marts.fct_orders where store = 'olist'") == persons
    )


def test_olist_delivered_orders_and_on_time_share(real_build, reference):
    """On time = delivered on or before the estimated delivery day (calendar days), over the
    orders with status delivered and a delivery date."""
    counts = reference.olist_counts
    assert (
        real_build.scalar("select count(*) from marts.fct_orders where store = 'olist' and order_status = 'delivered'")
        == counts["delivered"]
    )
    mart_measured, mart_on_time = real_build.query(
        "select count(is_on_time), count(*) filter (where is_on_time) from marts.fct_orders where store = 'olist'"
    )[0]
    assert (mart_measured, mart_on_time) == (counts["measured"], counts["on_time"])
    mart_share = real_build.scalar(
        "select avg(cast(is_on_time as integer)) from marts.fct_orders where store = 'olist'"
    )
    assert mart_share == pytest.approx(reference.olist_on_time_share)


def test_olist_gmv(real_build, reference):
    """GMV = item prices of the orders neither canceled nor unavailable; freight apart."""
    amounts = reference.olist_amounts
    lines = real_build.query(
        """
        select sum(net_revenue_amount), sum(freight_amount), sum(gross_sales_amount)
        from marts.fct_order_lines where store = 'olist'
        """
    )[0]
    assert [cents(value) for value in lines] == [cents(amounts[name]) for name in ("gmv", "freight", "item_price")]
    assert cents(
        real_build.scalar("select sum(net_revenue_amount) from marts.fct_orders where store = 'olist'")
    ) == cents(amounts["gmv"])


def test_olist_grain_and_payment_reconciliation(real_build, reference):
    """Every order is in fct_orders (also those without items), every item a line, and the
    orders whose payments differ from items + freight are those data_quality_issues counts."""
    counts = reference.olist_counts
    assert real_build.scalar("select count(*) from marts.fct_orders where store = 'olist'") == counts["orders"]
    assert (
        real_build.scalar("select count(*) from marts.fct_orders where store = 'olist' and line_count = 0")
        == counts["orders_without_items"]
    )
    assert real_build.scalar("select count(*) from marts.fct_order_lines where store = 'olist'") == counts["items"]
    not_reconciled = real_build.scalar(
        "select count(*) from marts.fct_orders where store = 'olist' and not is_payment_reconciled"
    )
    assert not_reconciled == real_build.scalar(
        "select rows from marts.data_quality_issues "
        "where rule = 'payments total differs from items price + freight by more than 0.01'"
    )


def test_reviews_mart_builds_empty_without_the_reviews_file(real_build):
    assert real_build.scalar("select count(*) from marts.fct_order_reviews") == 0


def test_date_dimension_covers_every_fact_date(real_build, reference):
    """From the first day any order refers to (the first order) to the last (an estimated
    delivery), widened at the start to a whole week (from Monday) and month, at the end to the
    month's last day."""
    first_order, last_estimate = reference.fact_date_range
    week_start = first_order - timedelta(days=first_order.weekday())
    expected_first = min(week_start, first_order.replace(day=1))
    next_month = (last_estimate.replace(day=28) + timedelta(days=4)).replace(day=1)
    expected_last = next_month - timedelta(days=1)
    first_day, last_day, days = real_build.query("select min(date_day), max(date_day), count(*) from marts.dim_date")[0]
    assert (first_day, last_day) == (expected_first, expected_last)
    assert days == (last_day - first_day).days + 1
