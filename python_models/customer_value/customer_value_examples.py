"""Labelled out-of-time examples: features at each labelled monthly cutoff, outcomes in the
next H days, and the split (training / validation / refit_only). Logic:
retail_warehouse.ml.labels and retail_warehouse.ml.value_tables."""

from retail_warehouse.ml.labels import load_order_columns
from retail_warehouse.ml.value_tables import examples_table


def model(dbt, session):
    dbt.config(materialized="table")
    return examples_table(
        dbt.ref("customer_feature_snapshots").df(),
        load_order_columns(dbt.ref("fct_orders")),
        horizons=dbt.config.get("horizon_days"),
        targets=dbt.config.get("churn_target"),
        model="customer_value_examples",
    )
