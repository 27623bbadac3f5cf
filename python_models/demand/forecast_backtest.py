"""ml.forecast_backtest: rolling-origin backtest of seasonal naive, ETS, SARIMA, Prophet, LSTM
and GRU on every demand series (one row per store + series + model + fold)."""

from retail_warehouse.ml.common import measured, neural_enabled
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.forecast_backtest(
        dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df(),
        horizon_days=int(dbt.config.get("horizon_days")),
        fold_count=int(dbt.config.get("backtest_folds")),
        seed=int(dbt.config.get("seed")),
        prophet_dimensions=dbt.config.get("prophet_dimensions"),
        neural=neural_enabled(dbt.config.get("neural")),
    )
