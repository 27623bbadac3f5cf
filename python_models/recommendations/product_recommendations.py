"""ml.product_recommendations: top 10 new items per active customer."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.recommendations import tables


@measured
def model(dbt, session):
    return tables.product_recommendations(
        dbt.ref("fct_order_lines").filter(tables.SALE_LINES).project(tables.LINE_COLUMNS),
        dbt.ref("dim_products").project(tables.PRODUCT_COLUMNS),
        dbt.ref("customer_features").project("store, customer_key, recency_days").order("store, customer_key").df(),
        seed=int(dbt.config.get("seed")),
    )
