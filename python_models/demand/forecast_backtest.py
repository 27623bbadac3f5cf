"""ml.forecast_backtest: rolling-origin backtest of seasonal naive, ETS, SARIMA, Prophet, LSTM
and GRU on every demand series (one row per store + series + model + fold).

Incremental (delete+insert by store): the backtest is part of a fit, so a build runs it for the
series whose forecaster it refits (ml_registry.forecast_refit_decisions; every series when the
table is built anew) and keeps the other series' rows, those of their registered model."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="store")
    decisions = dbt.ref("forecast_refit_decisions").project("store, series_id, action").df()
    previous = session.sql(f"select * from {dbt.this}").df() if dbt.is_incremental else None
    rows = tables.forecast_backtest(
        dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df(),
        decisions,
        previous,
        tables.forecast_settings(
            horizon_days=dbt.config.get("horizon_days"),
            fold_count=dbt.config.get("backtest_folds"),
            prophet_dimensions=dbt.config.get("prophet_dimensions"),
            neural=dbt.config.get("neural"),
            seed=dbt.config.get("seed"),
        ),
    )
    if rows is None:
        # Nothing refitted: no rows, in the table's own types.
        return session.sql(f"select * from {dbt.this} where false")
    return rows
