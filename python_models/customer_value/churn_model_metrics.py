"""Out-of-time scores of every churn / repeat-purchase classifier per store."""

from retail_warehouse.ml.value_tables import churn_metrics_table


def model(dbt, session):
    dbt.config(materialized="table")
    return churn_metrics_table(
        dbt.ref("churn_validation_predictions").df(),
        dbt.ref("customer_value_examples").df(),
        max_rows=int(dbt.config.get("max_training_rows")),
    )
