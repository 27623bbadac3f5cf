"""ml.churn_scores: every current customer (customer_features) once, scored as of the day after
the store's data end (marts.store_data_ends): probability from the store's best classifier
refitted on all labelled history, churn probability, risk band, top drivers, flag."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import registry as cv_registry
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.churn_scores(
        dbt.ref("customer_features").project(tables.SCORING_COLUMNS).df(),
        tables.sale_order_relation(
            dbt.ref("fct_orders"), dbt.ref("store_data_ends"), window_days=tables.SCORING_ORDER_WINDOW_DAYS
        ).df(),
        tables.sampled_example_relation(
            dbt.ref("customer_value_examples"),
            seed=int(dbt.config.get("seed")),
            max_fit_customers=int(dbt.config.get("max_fit_customers")),
            max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
        ).df(),
        dbt.ref("churn_model_metrics").project(tables.BEST_MODEL_COLUMNS).df(),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
        campaign_capacity=dbt.config.get("campaign_capacity"),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        registered=cv_registry.loaded(
            dbt.ref("customer_value_models").query("registry", cv_registry.LATEST_MODELS).df()
        ),
    )
