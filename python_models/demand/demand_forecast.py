"""ml.demand_forecast: every series forecast for the horizon by its chosen model, refitted on
all its data (point, 80% and 95% intervals; 0 on closed days)."""

import pandas as pd

from retail_warehouse.ml.forecasting import forecast_series
from retail_warehouse.ml.progress import log_progress, timed_step

KEYS = ["store", "series_id", "metric", "dimension", "dimension_value"]


def model(dbt, session):
    dbt.config(materialized="table")
    horizon_days = int(dbt.config.get("horizon_days"))
    seed = int(dbt.config.get("seed"))
    series = dbt.ref("demand_series").df()
    chosen = dbt.ref("forecast_model_selection").filter("is_chosen").df()
    chosen_model = chosen.set_index(KEYS)["model_name"].to_dict()
    frames = []
    for key_values, rows in series.groupby(KEYS, sort=True):
        model_name = chosen_model.get(key_values)
        if model_name is None:
            log_progress("demand_forecast", f"{key_values[0]} {key_values[1]}: no backtest result, no forecast")
            continue
        with timed_step("demand_forecast", f"{key_values[0]} {key_values[1]} {model_name}"):
            forecast = forecast_series(rows, model_name, horizon_days=horizon_days, seed=seed)
        frames.append(forecast.assign(**dict(zip(KEYS, key_values))))
    if not frames:
        log_progress("demand_forecast", "no series to forecast")
        return pd.DataFrame(
            columns=KEYS
            + [
                "forecast_date",
                "horizon_day",
                "day_status",
                "point_forecast",
                "lower_80",
                "upper_80",
                "lower_95",
                "upper_95",
                "model_name",
            ]
        )
    forecast = pd.concat(frames, ignore_index=True)
    return forecast[
        KEYS
        + [
            "forecast_date",
            "horizon_day",
            "day_status",
            "model_name",
            "point_forecast",
            "lower_80",
            "upper_80",
            "lower_95",
            "upper_95",
        ]
    ]
