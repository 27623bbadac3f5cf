"""ml.forecast_model_selection: the backtest averaged over the folds per series and model,
ranked by MASE; the chosen model of each series and its skill against the seasonal naive."""

from retail_warehouse.ml.forecasting import select_models
from retail_warehouse.ml.progress import log_progress


def model(dbt, session):
    dbt.config(materialized="table")
    selection = select_models(dbt.ref("forecast_backtest").df())
    for row in selection[selection["is_chosen"]].itertuples():
        log_progress(
            "forecast_model_selection",
            f"{row.store} {row.series_id}: {row.model_name} (MASE {row.mean_mase:.3f}, "
            f"{row.mase_vs_seasonal_naive:.3f} x seasonal naive)",
        )
    return selection
