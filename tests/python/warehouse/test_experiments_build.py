"""ml.experiment_assignments and ml.experiment_results of the synthetic build."""

from __future__ import annotations

import pytest

from retail_warehouse.ml.experiments import statistics


def test_assignments_are_the_customers_before_the_assignment_day(synthetic_build):
    rows = synthetic_build.query(
        """
        with definitions as (
            select * from staging.experiment_definitions
        ),

        eligible as (
            select definitions.experiment_id, count(distinct orders.customer_key) as customers
            from definitions
            inner join marts.fct_orders as orders
                on orders.store = definitions.store
                and orders.order_date < definitions.assigned_on
                and orders.order_type = 'sale' and not orders.is_cancelled
                and orders.customer_key is not null
            group by definitions.experiment_id
        )
        select eligible.experiment_id, eligible.customers, count(assignments.customer_key)
        from eligible
        left outer join ml.experiment_assignments as assignments
            on eligible.experiment_id = assignments.experiment_id
        group by all
        """
    )
    assert len(rows) == 2
    for experiment_id, expected, actual in rows:
        assert actual == expected, experiment_id


def test_z_test_row_recomputes_from_assignments(synthetic_build):
    for (experiment_id,) in synthetic_build.query("select distinct experiment_id from ml.experiment_results"):
        counts = synthetic_build.query(
            """
            select
                count(*) filter (where variant = 'control' and converted),
                count(*) filter (where variant = 'control'),
                count(*) filter (where variant = 'treatment' and converted),
                count(*) filter (where variant = 'treatment')
            from ml.experiment_assignments where experiment_id = ?
            """,
            [experiment_id],
        )[0]
        expected = statistics.two_proportion_z_test(*counts)
        difference, p_value = synthetic_build.query(
            "select difference, p_value from ml.experiment_results"
            " where experiment_id = ? and test = 'two_proportion_z'",
            [experiment_id],
        )[0]
        assert difference == pytest.approx(expected["difference"])
        assert p_value == pytest.approx(expected["p_value"])
