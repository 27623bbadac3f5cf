"""ml.product_recommendations: top 10 new items per active customer, scored on every build by
each store's registered recommender (ml_registry.recommendation_models)."""

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.recommendations import tables


@measured
def model(dbt, session):
    return tables.product_recommendations(
        dbt.ref("fct_order_lines").filter(tables.SALE_LINES).project(tables.LINE_COLUMNS),
        dbt.ref("dim_products").project(tables.PRODUCT_COLUMNS),
        dbt.ref("customer_features").project("store, customer_key, recency_days").order("store, customer_key").df(),
        dbt.ref("recommendation_models").query("registry", registry.LATEST_MODELS).df(),
    )
