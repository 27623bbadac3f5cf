"""Every current customer once: spend in the next H days (best spend model), the baseline,
and the 12-month value from BG/NBD + Gamma-Gamma fitted on all history."""

from retail_warehouse.ml.labels import load_order_columns
from retail_warehouse.ml.value_tables import customer_value_predictions_table


def model(dbt, session):
    dbt.config(materialized="table")
    return customer_value_predictions_table(
        dbt.ref("customer_features").df(),
        load_order_columns(dbt.ref("fct_orders")),
        dbt.ref("customer_value_examples").df(),
        dbt.ref("customer_value_metrics").df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        model="customer_value_predictions",
    )
