"""ml.churn_validation_predictions: every classifier's probabilities on the out-of-time
validation rows (the input of churn_model_metrics and churn_calibration). Logic:
retail_warehouse.ml.customer_value.churn."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.churn_validation_predictions(
        tables.sampled_example_relation(
            dbt.ref("customer_value_examples"),
            seed=int(dbt.config.get("seed")),
            max_fit_customers=int(dbt.config.get("max_fit_customers")),
            max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
        ).df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
    )
