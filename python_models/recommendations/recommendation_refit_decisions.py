"""ml_registry.recommendation_refit_decisions: per store, whether this build refits its serving
recommender (the evaluation and the fit) or scores with the registered one, and why
(retail_warehouse.ml.recommendations.registry).

It reads the registry as the previous build published it (the build copy starts from the served
file), by name: a ref would be a cycle, since it is built after this model. Absent (first
build): no model registered."""

import pandas as pd

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.recommendations import tables

PREVIOUS_COLUMNS = (
    "store, model_name, version, fitted_at, training_window_end, validation_hit_rate, settings, "
    "input_schema_hash, library_versions, model_bytes"
)


@measured
def model(dbt, session):
    # Plain assignments: dbt finds the config keys a Python model reads by parsing its calls.
    ml_refit = dbt.config.get("ml_refit")
    refit_days = dbt.config.get("refit_days")
    hit_rate_ratio = dbt.config.get("hit_rate_ratio")
    previous = registry.previous_table(session, "ml_registry", "recommendation_models", PREVIOUS_COLUMNS)
    return tables.recommendation_refit_decisions(
        dbt.ref("fct_order_lines").filter(tables.SALE_LINES).project(tables.LINE_COLUMNS),
        dbt.ref("dim_products").project(tables.PRODUCT_COLUMNS),
        previous if previous is not None else pd.DataFrame(),
        neural=dbt.config.get("neural"),
        max_customers=dbt.config.get("evaluation_max_customers"),
        fit_max_customers=dbt.config.get("fit_max_customers"),
        fit_max_items=dbt.config.get("fit_max_items"),
        seed=dbt.config.get("seed"),
        cadence_days=int(refit_days),
        ratio_threshold=float(hit_rate_ratio),
        force=registry.is_true(ml_refit),
    )
