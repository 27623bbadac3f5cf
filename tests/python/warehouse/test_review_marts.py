"""The Olist review KPIs of the customer-experience marts, recomputed from the synthetic CSVs
against `synthetic_build` (the real reviews file is missing, so real/test_sales_marts_real.py
cannot check them).

Review KPIs are over orders with a review, the order's latest review (by answer time, then
creation time, then review_id) standing for it; NPS-like = 100 x (share of 5 stars - share of
1-3 stars); on time = delivered on or before the estimated calendar day.
"""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture(scope="module")
def synthetic_reviews(synthetic_files):
    """Review KPIs per purchase month and per lateness, recomputed from the synthetic CSVs."""
    olist = synthetic_files / "olist"
    con = duckdb.connect()
    con.execute(
        f"""
        create table orders as
        select
            order_id,
            order_status,
            cast(order_purchase_timestamp as timestamp) as purchased_at,
            cast(order_delivered_customer_date as timestamp) as delivered_at,
            cast(order_estimated_delivery_date as timestamp) as estimated_at
        from read_csv('{olist}/olist_orders_dataset.csv', header = true, all_varchar = true);

        create table reviews as
        select
            review_id,
            order_id,
            cast(review_score as integer) as score,
            cast(review_creation_date as timestamp) as created_at,
            cast(review_answer_timestamp as timestamp) as answered_at
        from read_csv('{olist}/olist_order_reviews_dataset.csv', header = true, all_varchar = true);

        create table latest_reviews as
        select * from reviews
        qualify row_number() over (
            partition by order_id
            order by answered_at desc nulls last, created_at desc nulls last, review_id
        ) = 1;

        create table reviewed_orders as
        select
            cast(date_trunc('month', orders.purchased_at) as date) as month,
            case when orders.order_status = 'delivered' and orders.delivered_at is not null
                then cast(orders.delivered_at as date) - cast(orders.estimated_at as date) end as delay,
            latest_reviews.score
        from orders join latest_reviews on orders.order_id = latest_reviews.order_id;
        """
    )
    yield con
    con.close()


def test_review_kpis_by_month_on_synthetic_data(synthetic_build, synthetic_reviews):
    expected = {
        str(month): (count, mean, low, nps)
        for month, count, mean, low, nps in synthetic_reviews.execute(
            """
            select
                month, count(*), avg(score),
                avg(case when score <= 2 then 1 else 0 end),
                100 * (avg(case when score = 5 then 1 else 0 end) - avg(case when score <= 3 then 1 else 0 end))
            from reviewed_orders group by month
            """
        ).fetchall()
    }
    assert expected, "the synthetic data has reviews"
    actual = {
        str(month): (count, mean, low, nps)
        for month, count, mean, low, nps in synthetic_build.query(
            """
            select month_start_date, reviewed_order_count, review_score_mean, low_score_share, nps_like_score
            from marts.olist_customer_experience_monthly where reviewed_order_count > 0
            """
        )
    }
    assert actual.keys() == expected.keys()
    for month, values in expected.items():
        assert actual[month][0] == values[0], month
        assert actual[month][1:] == pytest.approx(values[1:]), month


def test_review_score_by_lateness_on_synthetic_data(synthetic_build, synthetic_reviews):
    """Late deliveries get worse reviews: the mean score by lateness, recomputed."""
    expected = dict(
        synthetic_reviews.execute(
            """
            select
                case
                    when delay is null then 'not delivered'
                    when delay <= 0 then 'on time'
                    else 'late'
                end,
                avg(score)
            from reviewed_orders group by 1
            """
        ).fetchall()
    )
    actual = dict(
        synthetic_build.query(
            """
            select
                case
                    when lateness_bucket = 'not delivered' then 'not delivered'
                    when lateness_bucket like 'late%' then 'late'
                    else 'on time'
                end,
                sum(review_score_mean * reviewed_order_count) / sum(reviewed_order_count)
            from marts.olist_review_score_by_lateness
            group by 1
            """
        )
    )
    assert actual == pytest.approx(expected)
    assert actual["late"] < actual["on time"]
