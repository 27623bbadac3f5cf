"""ml.recommendation_metrics: evaluation split by date of the recommenders against the
popularity and buy-again baselines."""

from retail_warehouse.ml.common import measured, neural_enabled
from retail_warehouse.ml.recommendations import tables


@measured
def model(dbt, session):
    return tables.recommendation_metrics(
        dbt.ref("fct_order_lines").filter(tables.SALE_LINES).project(tables.LINE_COLUMNS),
        dbt.ref("dim_products").project(tables.PRODUCT_COLUMNS),
        dbt.ref("store_data_ends").project("store, data_end_date").df(),
        seed=int(dbt.config.get("seed")),
        max_customers=int(dbt.config.get("evaluation_max_customers")),
        neural=neural_enabled(dbt.config.get("neural")),
    )
