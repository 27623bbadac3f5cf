"""ml.store_value_forecast: each store's next-12-month value of today's customers from the
transaction model chosen out of time, with 80% and 95% intervals of the total. Logic:
retail_warehouse.ml.customer_value.tables and .btyd. The transaction model reads the
customers' summary at the scoring day computed in DuckDB (tables.btyd_summary_relation); the
orders read are those of the recent-activity window before it (SCORING_ORDER_WINDOW_DAYS)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import registry as cv_registry
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    sale_orders = tables.sale_order_relation(dbt.ref("fct_orders"))
    return tables.store_value_forecast(
        dbt.ref("customer_features").project(tables.SCORING_COLUMNS).df(),
        tables.sale_order_relation(
            dbt.ref("fct_orders"), dbt.ref("store_data_ends"), window_days=tables.SCORING_ORDER_WINDOW_DAYS
        ).df(),
        dbt.ref("customer_value_metrics").project(tables.VALUE_METRIC_COLUMNS).df(),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
        seed=int(dbt.config.get("seed")),
        registered=cv_registry.loaded(
            dbt.ref("customer_value_models").query("registry", cv_registry.LATEST_MODELS).df()
        ),
        summary_of=tables.duckdb_summaries(sale_orders),
    )
