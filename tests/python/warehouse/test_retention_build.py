"""ml.retention_survival, ml.retention_group_summary and ml.retention_tests of the synthetic
build."""

from __future__ import annotations


def test_every_customer_with_a_sale_is_in_the_overall_curve(synthetic_build):
    """Every customer whose first sale order (not cancelled) is on or before the store's data
    end is in the curve; one whose first sale order comes after it has no follow-up and is
    not (docs/retention.md). The synthetic Olist store has such late orders: both kinds occur."""
    rows = synthetic_build.query(
        """
        with first_sales as (
            select orders.store, orders.customer_key, min(orders.order_date) as first_sale_date
            from marts.fct_orders as orders
            where orders.order_type = 'sale' and not orders.is_cancelled and orders.customer_key is not null
            group by all
        ),

        buyers as (
            select
                first_sales.store,
                count(*) filter (where first_sales.first_sale_date <= ends.data_end_date) as customers,
                count(*) filter (where first_sales.first_sale_date > ends.data_end_date) as late_customers
            from first_sales
            inner join marts.store_data_ends as ends on first_sales.store = ends.store
            group by first_sales.store
        )
        select buyers.store, buyers.customers, summary.customers, buyers.late_customers
        from buyers
        left outer join ml.retention_group_summary as summary
            on buyers.store = summary.store and summary.dimension = 'overall'
        """
    )
    assert len(rows) == 2
    for store, expected, actual, _ in rows:
        assert actual == expected, store
    assert sum(late for *_, late in rows) > 0
    # Every dimension partitions the same customers.
    partitions = synthetic_build.query(
        "select store, dimension, sum(customers) from ml.retention_group_summary group by all"
    )
    totals = {store: expected for store, expected, _, _ in rows}
    for store, dimension, customers in partitions:
        assert customers == totals[store], (store, dimension)


def test_curves_never_rise(synthetic_build):
    rises = synthetic_build.scalar(
        """
        with steps as (
            select survival, lag(survival) over (
                partition by store, dimension, group_value order by time_days
            ) as previous_survival
            from ml.retention_survival
        )
        select count(*) from steps where survival > previous_survival + 1e-12
        """
    )
    assert rises == 0


def test_a_multivariate_test_per_dimension(synthetic_build):
    rows = synthetic_build.query(
        "select store, dimension, degrees_of_freedom, groups from ml.retention_tests"
        " where test = 'multivariate_logrank' order by all"
    )
    dimensions = {(store, dimension) for store, dimension, *_ in rows}
    assert ("online_retail", "country") in dimensions or ("online_retail", "rfm_segment") in dimensions
    assert all(df == groups - 1 for *_, df, groups in rows)
