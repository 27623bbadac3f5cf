"""The sales and Olist customer-experience marts on the real files in ../shared/data, proven
against the reference computation of the raw files (reference.py: plain DuckDB SQL apart from
the dbt models, with the revenue, sale-order and delivery rules restated there). The warehouse
comes from the `real_build` fixture (Online Retail from the workbook, Olist from the CSVs).
Review figures cannot be checked here (the real reviews file is missing):
warehouse/test_review_marts.py checks them on synthetic data."""

from __future__ import annotations

import pytest
from real.reference import MANIFEST_OR_OUTLIER_INVOICES, cents

# ------------------------------------------------------------------ sales


def test_daily_net_revenue_totals(real_build, reference):
    """Net revenue of every day of both stores, to the cent."""
    expected = reference.daily_net_revenue
    actual = {
        (store, str(day)): cents(net)
        for store, day, net in real_build.query(
            "select store, order_date, net_revenue_amount from marts.sales_daily where dimension = 'overall'"
        )
    }
    assert actual == expected
    # Within a dimension the values add up to the overall row.
    for dimension in ("country", "state", "category"):
        by_dimension = real_build.query(
            f"""
            select store, sum(net_revenue_amount) from marts.sales_daily
            where dimension = '{dimension}' group by store
            """
        )
        for store, net in by_dimension:
            assert cents(net) == sum(value for (s, _), value in expected.items() if s == store)


def test_orders_per_month(real_build, reference):
    actual = {
        (store, str(month)): count
        for store, month, count in real_build.query(
            "select store, month_start_date, order_count from marts.sales_monthly where dimension = 'overall'"
        )
    }
    assert actual == reference.monthly_sale_orders
    totals = {store: 0 for store, _ in actual}
    for (store, _), count in actual.items():
        totals[store] += count
    assert totals == {
        "online_retail": reference.online_retail_counts["sale_orders"],
        "olist": reference.olist_counts["orders"],
    }


def test_top_months(real_build, reference):
    """The best month by net revenue of each store (November 2011 for Online Retail, November
    2017, Black Friday, for Olist)."""
    top = dict(
        real_build.query(
            """
            select store, strftime(month_start_date, '%Y-%m') from marts.sales_monthly
            where dimension = 'overall'
            qualify row_number() over (partition by store order by net_revenue_amount desc) = 1
            """
        )
    )
    assert top == reference.best_month


def test_hour_weekday_counts(real_build, reference):
    rows = real_build.query("select store, iso_day_of_week, hour_of_day, order_count from marts.sales_hour_weekday")
    assert len(rows) == 2 * 7 * 24
    actual = {(store, day, hour): count for store, day, hour, count in rows if count > 0}
    assert actual == reference.weekday_hour_sale_orders
    peak = dict(
        real_build.query(
            """
            select store, day_name || ' ' || hour_of_day from marts.sales_hour_weekday
            qualify row_number() over (partition by store order by order_count desc) = 1
            """
        )
    )
    assert peak == reference.busiest_weekday_hour


def test_unusual_orders_flag_the_80995_unit_order_and_its_cancellation(real_build):
    """The outliers MANIFEST.md names: quantity +-80,995 and +-74,215, each with its cancellation."""
    flagged = dict(real_build.query("select order_id, unusual_reason from marts.unusual_orders"))
    for order_id in MANIFEST_OR_OUTLIER_INVOICES:
        assert flagged[order_id] == "value and units"


def test_boxplot_stats_of_online_retail_quantity(real_build, reference):
    """Quartiles of the quantity of sale lines."""
    stats = real_build.query(
        """
        select q1_value, median_value, q3_value, max_value, observation_count from marts.eda_boxplot_stats
        where store = 'online_retail' and dimension = 'overall' and measure = 'quantity'
        """
    )[0]
    assert stats[:4] == reference.online_retail_sale_quantity_quartiles
    bins = real_build.scalar(
        """
        select sum(observation_count) from marts.eda_histogram_bins
        where store = 'online_retail' and dimension = 'overall' and measure = 'quantity'
        """
    )
    assert bins == stats[4]


# ------------------------------------------------------------------ customer experience


def test_olist_on_time_and_delivered_share_by_state(real_build, reference):
    expected = reference.olist_by_state
    actual = {
        state: values
        for state, *values in real_build.query(
            """
            select customer_state, order_count, delivered_share, on_time_share, mean_delivery_days
            from marts.olist_customer_experience_by_state
            """
        )
    }
    assert actual.keys() == expected.keys()
    assert len(actual) == reference.olist_counts["states"]
    for state, values in expected.items():
        assert actual[state][0] == values[0], state
        assert actual[state][1:] == pytest.approx(values[1:]), state


def test_olist_overall_delivery_figures(real_build, reference):
    """Whole-store figures from the monthly mart: orders, delivered and measured orders, the
    on-time share (as test_marts_real checks it on fct_orders) and mean delivery days."""
    orders, delivered, measured, on_time, days = real_build.query(
        """
        select sum(order_count), sum(delivered_order_count), sum(measured_delivery_count),
               sum(on_time_share * measured_delivery_count), sum(mean_delivery_days * measured_delivery_count)
        from marts.olist_customer_experience_monthly
        """
    )[0]
    counts = reference.olist_counts
    assert (orders, delivered, measured) == (counts["orders"], counts["delivered"], counts["measured"])
    assert on_time == pytest.approx(counts["on_time"])
    assert days / measured == pytest.approx(reference.olist_mean_delivery_days)
    # Reviews are missing on the real files: the review KPIs are null, the rest is there.
    assert real_build.scalar("select count(review_score_mean) from marts.olist_customer_experience_monthly") == 0
