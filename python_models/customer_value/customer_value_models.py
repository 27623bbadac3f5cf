"""ml_registry.customer_value_models: one row per customer value model fitted, per store, model
and version, with its metadata and the fitted model itself (model_bytes). Incremental: a build
appends the models it fits (those customer_value_refit_decisions says to refit; every one when
the table is built anew) and keeps the earlier versions. A transaction model is fitted on the
customers' RFM summary computed in DuckDB (tables.order_history), read only for a store whose
transaction model is fitted (registry.StoreInputs)."""

from retail_warehouse.ml import registry as shared_registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", on_schema_change="append_new_columns")
    decisions = dbt.ref("customer_value_refit_decisions").df()
    previous = shared_registry.registered_versions(dbt, session)
    inputs = tables.store_inputs(
        dbt.ref("customer_features").project(tables.SCORING_COLUMNS).df(),
        tables.order_history(dbt.ref("fct_orders")),
        tables.sampled_example_relation(
            dbt.ref("customer_value_examples"),
            seed=int(dbt.config.get("seed")),
            max_fit_customers=int(dbt.config.get("max_fit_customers")),
            max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
        ).df(),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
    )
    table = tables.cv_registry.fit_registered(
        inputs,
        decisions,
        previous,
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        refit_everything=not dbt.is_incremental,
    )
    if table.empty and dbt.is_incremental:
        # Nothing fitted: no rows, in the table's own types.
        return session.sql(f"select * from {dbt.this} where false")
    return table
