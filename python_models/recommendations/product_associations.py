"""Association rules between items bought in the same basket (ml.product_associations)."""

from retail_warehouse.ml import recommendations
from retail_warehouse.ml.progress import log_progress, timed_step
from retail_warehouse.ml.typed_tables import typed_table

MODEL = "product_associations"


def model(dbt, session):
    lines = recommendations.load_sale_lines(dbt.ref("fct_order_lines"))
    products = recommendations.load_products(dbt.ref("dim_products"))
    frames = []
    for store in sorted(lines["store"].unique()):
        with timed_step(MODEL, f"{store}: rules"):
            rules = recommendations.store_associations(lines[lines["store"] == store], products, store)
        log_progress(MODEL, f"{store}: {len(rules)} rules")
        frames.append(rules)
    return typed_table(frames, recommendations.ASSOCIATIONS_SCHEMA)
