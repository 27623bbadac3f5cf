"""ml.customer_value_predictions: every current customer once: spend in the next H days (served
spend model), the baseline, the 12-month value with its intervals from the transaction model
chosen out of time + Gamma-Gamma fitted on all history, P(alive) and the expected next order."""

from retail_warehouse.ml.customer_value import tables


def model(dbt, session):
    return tables.customer_value_predictions(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        dbt.ref("fct_orders").project(tables.ORDER_COLUMNS).df(),
        dbt.ref("customer_value_examples").project(tables.EXAMPLE_COLUMNS).df(),
        dbt.ref("customer_value_metrics").project(tables.VALUE_METRIC_COLUMNS).df(),
        dbt.ref("next_order_metrics").project("store, method_name, is_served").df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
    )
