"""ml_registry.recommendation_models: one row per recommender fitted (per store and version):
the store's serving method fitted on all its baskets, with its metadata, the validation metrics
of its evaluation (ml.recommendation_metrics) and its fitted state (model_bytes). Incremental: a
build appends the models it fits (those recommendation_refit_decisions says to refit; every one
when the table is built anew) and keeps the earlier versions."""

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.recommendations import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", on_schema_change="append_new_columns")
    decisions = dbt.ref("recommendation_refit_decisions").df()
    previous = registry.registered_versions(dbt, session)
    table = tables.recommendation_models(
        dbt.ref("fct_order_lines").filter(tables.SALE_LINES).project(tables.LINE_COLUMNS),
        dbt.ref("dim_products").project(tables.PRODUCT_COLUMNS),
        decisions,
        dbt.ref("recommendation_metrics").filter("is_serving_method").df(),
        previous,
        neural=dbt.config.get("neural"),
        max_customers=dbt.config.get("evaluation_max_customers"),
        fit_max_customers=dbt.config.get("fit_max_customers"),
        fit_max_items=dbt.config.get("fit_max_items"),
        seed=dbt.config.get("seed"),
        refit_everything=not dbt.is_incremental,
    )
    if table.empty and dbt.is_incremental:
        # Nothing fitted: no rows, in the table's own types.
        return session.sql(f"select * from {dbt.this} where false")
    return table
