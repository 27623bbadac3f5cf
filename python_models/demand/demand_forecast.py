"""ml.demand_forecast: every series forecast for the horizon by its newest registered model
(ml_registry.forecast_models, fitted on its schedule: forecast_refit_decisions), whose
parameters run over all the series' days, newer ones included, without re-estimating them
(point, 80% and 95% intervals calibrated in the backtest; 0 on closed days)."""

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.demand_forecast(
        dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df(),
        dbt.ref("forecast_models").query("registry", registry.LATEST_MODELS).df(),
        horizon_days=int(dbt.config.get("horizon_days")),
        seed=int(dbt.config.get("seed")),
    )
