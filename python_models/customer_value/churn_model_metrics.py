"""ml.churn_model_metrics: out-of-time scores of every churn / repeat-purchase classifier per
store, the gain over the recency baseline with its interval, and the served model chosen at
the earlier selection cutoff."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.churn_model_metrics(
        dbt.ref("churn_validation_predictions").project(tables.PREDICTION_COLUMNS).df(),
        tables.sampled_example_relation(
            dbt.ref("customer_value_examples"),
            seed=int(dbt.config.get("seed")),
            max_fit_customers=int(dbt.config.get("max_fit_customers")),
            max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
        ).df(),
        max_rows=int(dbt.config.get("max_training_rows")),
        seed=int(dbt.config.get("seed")),
        counts=tables.example_counts(dbt.ref("customer_value_examples")),
    )
