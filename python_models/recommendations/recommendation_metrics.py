"""Leave-last-basket-out evaluation of the recommenders against popularity
(ml.recommendation_metrics)."""

from retail_warehouse.ml import recommendations
from retail_warehouse.ml.progress import log_progress, timed_step
from retail_warehouse.ml.typed_tables import typed_table

MODEL = "recommendation_metrics"


def model(dbt, session):
    seed = int(dbt.config.get("seed"))
    lines = recommendations.load_sale_lines(dbt.ref("fct_order_lines"))
    products = recommendations.load_products(dbt.ref("dim_products"))
    frames = []
    for store in sorted(lines["store"].unique()):
        with timed_step(MODEL, f"{store}: holdout evaluation"):
            metrics = recommendations.store_metrics(lines[lines["store"] == store], products, store, seed)
        if metrics.empty:
            log_progress(MODEL, f"{store}: no customer with two baskets, nothing to evaluate")
        frames.append(metrics)
    return typed_table(frames, recommendations.METRICS_SCHEMA)
