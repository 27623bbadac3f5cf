"""ml.customer_value_predictions: every current customer once, as of the day after the store's
data end (marts.store_data_ends): spend in the next H days (served spend model), the baseline,
the 12-month value with its intervals from the transaction model chosen out of time +
Gamma-Gamma fitted on the history to the data end, P(alive) and the expected next order. The
orders are read as one row per customer at the scoring day, aggregated in DuckDB
(tables.order_history: the BTYD summary, the purchase gaps, the recent activity), never as lines."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import registry as cv_registry
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.customer_value_predictions(
        dbt.ref("customer_features").project(tables.SCORING_COLUMNS).df(),
        tables.order_history(dbt.ref("fct_orders")),
        tables.sampled_example_relation(
            dbt.ref("customer_value_examples"),
            seed=int(dbt.config.get("seed")),
            max_fit_customers=int(dbt.config.get("max_fit_customers")),
            max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
        ).df(),
        dbt.ref("customer_value_metrics").project(tables.VALUE_METRIC_COLUMNS).df(),
        dbt.ref("next_order_metrics").project("store, method_name, is_served, window_days").df(),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        registered=cv_registry.loaded(
            dbt.ref("customer_value_models").query("registry", cv_registry.LATEST_MODELS).df()
        ),
    )
