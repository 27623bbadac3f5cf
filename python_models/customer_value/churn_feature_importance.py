"""ml.churn_feature_importance: permutation importance of each store's best classifier on the
validation rows.

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
        return tables.nothing_evaluated(session, dbt.this, "churn_feature_importance")
    return tables.churn_feature_importance(
        tables.of_stores(
            tables.sampled_example_relation(
                dbt.ref("customer_value_examples"),
                seed=int(dbt.config.get("seed")),
                max_fit_customers=int(dbt.config.get("max_fit_customers")),
                max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
            ),
            stores,
        ).df(),
        tables.of_stores(dbt.ref("churn_model_metrics"), stores).project(tables.BEST_MODEL_COLUMNS).df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
    )
