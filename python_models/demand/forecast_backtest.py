"""ml.forecast_backtest: rolling-origin backtest of seasonal naive, ETS, SARIMA and Prophet
on every demand series (one row per store + series + model + fold)."""

from retail_warehouse.ml.forecasting import run_backtest
from retail_warehouse.ml.progress import log_progress, timed_step


def model(dbt, session):
    dbt.config(materialized="table")
    series = dbt.ref("demand_series").df()
    with timed_step("forecast_backtest", "backtest"):
        backtest = run_backtest(
            series,
            horizon_days=int(dbt.config.get("horizon_days")),
            fold_count=int(dbt.config.get("backtest_folds")),
            seed=int(dbt.config.get("seed")),
            prophet_dimensions=tuple(dbt.config.get("prophet_dimensions").split(",")),
            log=lambda message: log_progress("forecast_backtest", message),
        )
    return backtest
