"""ml.customer_value_predictions: every current customer once: spend in the next H days (best
spend model), the baseline, and the 12-month value from BG/NBD + Gamma-Gamma fitted on all
history."""

from retail_warehouse.ml.customer_value import tables


def model(dbt, session):
    return tables.customer_value_predictions(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        dbt.ref("fct_orders").project(tables.ORDER_COLUMNS).df(),
        dbt.ref("customer_value_examples").project(tables.EXAMPLE_COLUMNS).df(),
        dbt.ref("customer_value_metrics").project("store, target_name, model_name, is_best").df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
    )
