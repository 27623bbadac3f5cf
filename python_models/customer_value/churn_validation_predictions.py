"""Every classifier's probabilities on the out-of-time validation rows (the input of
churn_model_metrics and churn_calibration). Logic: retail_warehouse.ml.churn."""

from retail_warehouse.ml.value_tables import churn_validation_table


def model(dbt, session):
    dbt.config(materialized="table")
    return churn_validation_table(
        dbt.ref("customer_value_examples").df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        model="churn_validation_predictions",
    )
