"""ml.recommendation_metrics: evaluation split by date of the recommenders against the
popularity and buy-again baselines.

Incremental (delete+insert by store): the evaluation is part of a fit, so a build runs it for the
stores whose recommender it refits (ml_registry.recommendation_refit_decisions; every store when
the table is built anew) and keeps the other stores' rows, those of their registered model."""

from retail_warehouse.ml.common import measured, neural_enabled
from retail_warehouse.ml.recommendations import tables


@measured
def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="store",
        on_schema_change="append_new_columns",
    )
    decisions = dbt.ref("recommendation_refit_decisions").project("store, action").df()
    rows = tables.recommendation_metrics(
        dbt.ref("fct_order_lines").filter(tables.SALE_LINES).project(tables.LINE_COLUMNS),
        dbt.ref("dim_products").project(tables.PRODUCT_COLUMNS),
        dbt.ref("store_data_ends").project("store, data_end_date").df(),
        decisions if dbt.is_incremental else None,
        seed=int(dbt.config.get("seed")),
        max_customers=int(dbt.config.get("evaluation_max_customers")),
        fit_max_customers=int(dbt.config.get("fit_max_customers")),
        fit_max_items=int(dbt.config.get("fit_max_items")),
        neural=neural_enabled(dbt.config.get("neural")),
    )
    if rows is None:
        # Nothing refitted: no rows, in the table's own types.
        return session.sql(f"select * from {dbt.this} where false")
    return rows
