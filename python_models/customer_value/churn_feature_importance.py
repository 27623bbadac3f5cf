"""Permutation importance of each store's best classifier on the validation rows."""

from retail_warehouse.ml.value_tables import churn_importance_table


def model(dbt, session):
    dbt.config(materialized="table")
    return churn_importance_table(
        dbt.ref("customer_value_examples").df(),
        dbt.ref("churn_model_metrics").df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        model="churn_feature_importance",
    )
