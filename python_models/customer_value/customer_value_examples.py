"""Labelled out-of-time examples: features at each labelled monthly cutoff, outcomes in the
next H days, and the split (training / validation / refit_only). Logic:
retail_warehouse.ml.labels and retail_warehouse.ml.value_tables."""

from retail_warehouse.ml.value_tables import examples_table


def model(dbt, session):
    dbt.config(materialized="table")
    return examples_table(
        dbt.ref("customer_feature_snapshots").df(),
        dbt.ref("fct_orders").df(),
        horizons=dbt.config.get("horizon_days"),
        targets=dbt.config.get("churn_target"),
        model="customer_value_examples",
    )
