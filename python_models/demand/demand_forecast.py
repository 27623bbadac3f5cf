"""ml.demand_forecast: every series forecast for the horizon by its chosen model, refitted on
all its data (point, 80% and 95% intervals calibrated in the backtest; 0 on closed days)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.demand_forecast(
        dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df(),
        dbt.ref("forecast_model_selection").filter("is_chosen").project(tables.CHOSEN_COLUMNS).df(),
        horizon_days=int(dbt.config.get("horizon_days")),
        seed=int(dbt.config.get("seed")),
    )
