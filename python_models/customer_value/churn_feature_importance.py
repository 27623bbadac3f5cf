"""ml.churn_feature_importance: permutation importance of each store's best classifier on the
validation rows."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.churn_feature_importance(
        tables.sampled_example_relation(
            dbt.ref("customer_value_examples"),
            seed=int(dbt.config.get("seed")),
            max_fit_customers=int(dbt.config.get("max_fit_customers")),
            max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
        ).df(),
        dbt.ref("churn_model_metrics").project(tables.BEST_MODEL_COLUMNS).df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
    )
