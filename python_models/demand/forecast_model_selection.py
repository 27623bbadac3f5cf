"""ml.forecast_model_selection: the backtest averaged over the folds per series and model,
ranked by MASE; the chosen model of each series and its skill against the seasonal naive."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.forecast_model_selection(dbt.ref("forecast_backtest").project(tables.BACKTEST_COLUMNS).df())
