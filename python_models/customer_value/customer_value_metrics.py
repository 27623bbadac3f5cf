"""Out-of-time errors of the spend regressions, BG/NBD + Gamma-Gamma and the past-daily-spend
baseline per store. Logic: retail_warehouse.ml.customer_value and retail_warehouse.ml.btyd."""

from retail_warehouse.ml.labels import load_order_columns
from retail_warehouse.ml.value_tables import customer_value_metrics_table


def model(dbt, session):
    dbt.config(materialized="table")
    return customer_value_metrics_table(
        dbt.ref("customer_value_examples").df(),
        dbt.ref("customer_feature_snapshots").df(),
        load_order_columns(dbt.ref("fct_orders")),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        model="customer_value_metrics",
    )
