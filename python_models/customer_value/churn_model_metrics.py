"""ml.churn_model_metrics: out-of-time scores of every churn / repeat-purchase classifier per
store."""

from retail_warehouse.ml.customer_value import tables


def model(dbt, session):
    return tables.churn_model_metrics(
        dbt.ref("churn_validation_predictions")
        .project("store, model_name, target_name, horizon_days, is_positive, probability, threshold")
        .df(),
        dbt.ref("customer_value_examples").project(tables.EXAMPLE_COLUMNS).df(),
        max_rows=int(dbt.config.get("max_training_rows")),
    )
