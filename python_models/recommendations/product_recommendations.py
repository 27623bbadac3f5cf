"""Top 10 new items per active customer (ml.product_recommendations)."""

from retail_warehouse.ml import recommendations
from retail_warehouse.ml.progress import log_progress, timed_step
from retail_warehouse.ml.typed_tables import typed_table

MODEL = "product_recommendations"


def model(dbt, session):
    seed = int(dbt.config.get("seed"))
    lines = recommendations.load_sale_lines(dbt.ref("fct_order_lines"))
    products = recommendations.load_products(dbt.ref("dim_products"))
    active = recommendations.load_active_customers(dbt.ref("customer_features"))
    frames = []
    for store in sorted(lines["store"].unique()):
        customers = active.loc[active["store"] == store, "customer_key"].to_numpy()
        with timed_step(MODEL, f"{store}: {len(customers)} active customers"):
            frames.append(
                recommendations.store_recommendations(lines[lines["store"] == store], products, customers, store, seed)
            )
        log_progress(MODEL, f"{store}: {len(frames[-1])} recommendations")
    return typed_table(frames, recommendations.RECOMMENDATIONS_SCHEMA)
