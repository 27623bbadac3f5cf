"""ml.churn_model_metrics: out-of-time scores of every churn / repeat-purchase classifier per
store, the gain over the recency baseline with its interval, and the served model chosen at
the earlier selection cutoff.

Incremental (delete+insert by store): an evaluation is part of the fit, so a build runs it for the
stores customer_value_evaluation_decisions evaluates (a served model refitted; every store when
the table is built anew) and keeps the other stores' rows, those of their last evaluation."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="store")
    stores = tables.cv_registry.evaluated_stores(
        dbt.ref("customer_value_evaluation_decisions").project("store, evaluation_action").df(),
        table_is_new=not dbt.is_incremental,
    )
    if stores == ():
        return tables.nothing_evaluated(session, dbt.this, "churn_model_metrics")
    return tables.churn_model_metrics(
        tables.of_stores(dbt.ref("churn_validation_predictions"), stores).project(tables.PREDICTION_COLUMNS).df(),
        tables.of_stores(
            tables.sampled_example_relation(
                dbt.ref("customer_value_examples"),
                seed=int(dbt.config.get("seed")),
                max_fit_customers=int(dbt.config.get("max_fit_customers")),
                max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
            ),
            stores,
        ).df(),
        max_rows=int(dbt.config.get("max_training_rows")),
        seed=int(dbt.config.get("seed")),
        counts=tables.example_counts(dbt.ref("customer_value_examples")),
    )
