"""ml_registry.forecast_models: one row per demand forecaster fitted (per store, series and
version): the model the backtest chose for the series, estimated on all its days, with its
metadata, backtest metrics and fitted state (model_bytes). Incremental: a build appends the
models it fits (those forecast_refit_decisions says to refit; every one when the table is built
anew) and keeps the earlier versions."""

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", on_schema_change="append_new_columns")
    decisions = dbt.ref("forecast_refit_decisions").df()
    previous = registry.registered_versions(dbt, session)
    table = tables.forecast_models(
        dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df(),
        dbt.ref("forecast_model_selection").filter("is_chosen").project(tables.CHOSEN_COLUMNS).df(),
        decisions,
        previous,
        settings=tables.forecast_settings(
            horizon_days=dbt.config.get("horizon_days"),
            fold_count=dbt.config.get("backtest_folds"),
            prophet_dimensions=dbt.config.get("prophet_dimensions"),
            neural=dbt.config.get("neural"),
            seed=dbt.config.get("seed"),
        ),
        refit_everything=not dbt.is_incremental,
    )
    if table.empty and dbt.is_incremental:
        # Nothing fitted: no rows, in the table's own types.
        return session.sql(f"select * from {dbt.this} where false")
    return table
