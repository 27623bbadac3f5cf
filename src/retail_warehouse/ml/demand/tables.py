"""The tables of python_models/demand/, one function per dbt model: each takes the marts and
the earlier demand tables as pandas frames, logs its progress, and returns the model's table."""

from __future__ import annotations

import pandas as pd

from retail_warehouse.ml.common import log_progress, neural_enabled, schema, timed_step, typed_table
from retail_warehouse.ml.demand import capacity, forecast_registry, forecasting, seasonality
from retail_warehouse.ml.demand import registry as anomaly_registry
from retail_warehouse.ml.demand.anomalies import DetectorSettings
from retail_warehouse.ml.demand.series import build_demand_series

SERIES_KEYS = ["store", "series_id", "metric", "dimension", "dimension_value"]
# The columns of ml.demand_series the later models read (is_imputed is for readers).
SERIES_COLUMNS = ", ".join(
    SERIES_KEYS + ["series_date", "iso_day_of_week", "day_status", "actual_value", "model_value", "season_length"]
)
# The columns of ml.forecast_backtest the model selection averages.
BACKTEST_COLUMNS = ", ".join(
    SERIES_KEYS
    + ["model_name", "fold_number", "fold_role", "mae", "rmse", "smape", "mase", "coverage_80", "coverage_95"]
    + ["coverage_80_calibrated", "coverage_95_calibrated", "serving_interval_scale_80", "serving_interval_scale_95"]
)
# The columns of the chosen rows of ml.forecast_model_selection the forecast registry keeps.
CHOSEN_COLUMNS = ", ".join(
    SERIES_KEYS
    + ["model_name", "interval_scale_80", "interval_scale_95", "fold_count", "mean_mase", "mase_vs_seasonal_naive"]
    + ["choice_reason"]
)
# marts.store_data_ends: the series end by each store's last complete day.
DATA_END_COLUMNS = "store, data_end_date"
# intermediate.int_closed_weekdays_detected: the weekdays each store is normally closed.
CLOSED_WEEKDAY_COLUMNS = "store, iso_day_of_week"
# The series of the staffing plan and of the forecast peak hours.
OVERALL_ORDERS = "orders|overall|all"
# The columns of marts.customer_features the customer detectors read.
CUSTOMER_COLUMNS = (
    "store, customer_key, frequency, monetary, cancellation_amount, avg_basket_amount, avg_basket_quantity, "
    "distinct_product_count, return_rate, mean_days_between_orders, tenure_days"
)
# The columns of marts.fct_orders the order detectors read.
ORDER_COLUMNS = (
    "store, order_key, customer_key, order_date, order_type, is_cancelled, total_quantity, "
    "gross_sales_amount, cancellation_amount, line_count, distinct_product_count"
)


def demand_series(
    sales_daily: pd.DataFrame, top_n: int, data_ends: pd.DataFrame, closed_weekdays: pd.DataFrame
) -> pd.DataFrame:
    """ml.demand_series: every store's daily series on its calendar (series.py), from the
    overall rows of marts.sales_daily and those of the store's top dimension, ending by the
    store's data end (data_ends: marts.store_data_ends, DATA_END_COLUMNS), closed on the
    store's closed weekdays (closed_weekdays: intermediate.int_closed_weekdays_detected,
    CLOSED_WEEKDAY_COLUMNS)."""
    model = "demand_series"
    ends = dict(zip(data_ends["store"], pd.to_datetime(data_ends["data_end_date"])))
    closed = {
        store: tuple(int(day) for day in rows["iso_day_of_week"]) for store, rows in closed_weekdays.groupby("store")
    }
    with timed_step(model, "building the daily series"):
        series = build_demand_series(sales_daily, top_n, closed, ends)
    for store, rows in series.groupby("store"):
        closed = sorted(int(d) for d in rows.loc[rows["day_status"] == "closed_weekday", "iso_day_of_week"].unique())
        closures = rows.loc[rows["day_status"] == "closure", "series_date"].nunique()
        log_progress(
            model,
            f"{store}: {rows['series_id'].nunique()} series, {rows['series_date'].min()} to "
            f"{rows['series_date'].max()}, closed weekdays {closed}, {closures} closure days",
        )
    if series.empty:
        log_progress(model, "no store has orders: no series")
    return series


BACKTEST_SCHEMA = {
    **{key: "str" for key in SERIES_KEYS},
    **schema(
        "model_name:str fold_number:int fold_role:str origin_date:date training_days:int evaluated_days:int "
        "mae:float rmse:float smape:float mase:float coverage_80:float coverage_95:float "
        "interval_scale_80:float interval_scale_95:float coverage_80_calibrated:float coverage_95_calibrated:float "
        "serving_interval_scale_80:float serving_interval_scale_95:float"
    ),
}


def forecast_settings(
    *, horizon_days, fold_count, prophet_dimensions, neural, seed
) -> forecast_registry.ForecastSettings:
    """The forecast settings as a dbt model's config passes them (demand_forecast_horizon_days,
    demand_backtest_folds, the comma-separated demand_prophet_dimensions, ml_neural, ml_seed:
    text)."""
    return forecast_registry.ForecastSettings(
        horizon_days=int(horizon_days),
        fold_count=int(fold_count),
        prophet_dimensions=tuple(str(prophet_dimensions).split(",")),
        neural=neural_enabled(neural),
        seed=int(seed),
    )


def forecast_refit_decisions(
    series: pd.DataFrame,
    previous_registry: pd.DataFrame,
    *,
    settings: forecast_registry.ForecastSettings,
    cadence_days: int,
    mase_ratio: float,
    force: bool,
) -> pd.DataFrame:
    """ml_registry.forecast_refit_decisions: refit or score each series' forecaster
    (forecast_registry; previous_registry: ml_registry.forecast_models as the previous build
    published it, empty on the first build)."""
    return forecast_registry.decisions(
        series, previous_registry, settings=settings, cadence_days=cadence_days, mase_ratio=mase_ratio, force=force
    )


def forecast_backtest(
    series: pd.DataFrame,
    decided: pd.DataFrame,
    previous: pd.DataFrame | None,
    settings: forecast_registry.ForecastSettings,
) -> pd.DataFrame | None:
    """ml.forecast_backtest's rows to write on this build: the rolling-origin backtest
    (forecasting.py) of the series ml_registry.forecast_refit_decisions refits, with the kept
    rows of the other series of their stores (forecast_registry.backtest; previous: the table's
    rows, None when it is built anew); None when no store changes."""
    model = "forecast_backtest"
    with timed_step(model, "backtest"):
        rows = forecast_registry.backtest(
            series,
            decided,
            previous,
            settings=settings,
            columns=BACKTEST_SCHEMA,
            log=lambda message: log_progress(model, message),
        )
    if rows is None:
        log_progress(model, "no series refitted: every row kept from its last refit")
    return rows


def forecast_model_selection(backtest: pd.DataFrame) -> pd.DataFrame:
    """ml.forecast_model_selection: per series and model, the rank on the selection folds
    and the metrics on the evaluation folds; the chosen model of each series."""
    selection = forecasting.select_models(backtest)
    for row in selection[selection["is_chosen"]].itertuples():
        log_progress(
            "forecast_model_selection",
            f"{row.store} {row.series_id}: {row.choice_reason}; evaluation MASE {row.mean_mase:.3f}, 80% coverage "
            f"{row.mean_coverage_80:.0%} ({row.mean_coverage_80_calibrated:.0%} calibrated)",
        )
    return selection


FORECAST_SCHEMA = {
    **{key: "str" for key in SERIES_KEYS},
    **schema(
        "forecast_date:date horizon_day:int32 day_status:str model_name:str point_forecast:float "
        "lower_80:float upper_80:float lower_95:float upper_95:float"
    ),
}


def forecast_models(
    series: pd.DataFrame,
    chosen: pd.DataFrame,
    decided: pd.DataFrame,
    previous_versions: dict[tuple[str, str], int],
    *,
    settings: forecast_registry.ForecastSettings,
    refit_everything: bool,
) -> pd.DataFrame:
    """ml_registry.forecast_models: the chosen model (chosen: the is_chosen rows of
    ml.forecast_model_selection, CHOSEN_COLUMNS) of each series refitted on this build,
    estimated on all its days (forecast_registry.fit_registered)."""
    return forecast_registry.fit_registered(
        series, chosen, decided, previous_versions, settings=settings, refit_everything=refit_everything
    )


def demand_forecast(series: pd.DataFrame, registry_rows: pd.DataFrame, horizon_days: int, seed: int) -> pd.DataFrame:
    """ml.demand_forecast: every series forecast for the horizon by its newest registered model
    (registry_rows: ml_registry.forecast_models, registry.LATEST_MODELS), whose parameters run
    over the series as it is now (not re-estimated), its intervals scaled by the factors
    calibrated in the backtest."""
    model = "demand_forecast"
    frames = forecast_registry.forecast(
        series, registry_rows, horizon_days=horizon_days, seed=seed, log=lambda message: log_progress(model, message)
    )
    if not frames:
        log_progress(model, "no series to forecast")
    return typed_table(frames, FORECAST_SCHEMA)


def seasonality_components(series: pd.DataFrame) -> pd.DataFrame:
    """ml.seasonality_components: the robust STL decomposition of every series."""
    with timed_step("seasonality_components", "STL"):
        return seasonality.seasonality_components(series)


def seasonal_profiles(series: pd.DataFrame, hour_weekday: pd.DataFrame) -> pd.DataFrame:
    """ml.seasonal_profiles: weekday, month and hour x weekday profiles (marts.sales_hour_weekday)."""
    profiles = seasonality.seasonal_profiles(series, hour_weekday)
    if profiles.empty:
        log_progress("seasonal_profiles", "no series: no profiles")
    return profiles


def peak_periods(
    series: pd.DataFrame, forecast: pd.DataFrame, hourly_orders: pd.DataFrame, hour_weekday: pd.DataFrame
) -> pd.DataFrame:
    """ml.peak_periods: the days and hours in the top demand decile, past and forecast.
    hourly_orders: sale orders per store, period_date and hour_of_day (order_count)."""
    hourly_orders = hourly_orders.assign(period_date=pd.to_datetime(hourly_orders["period_date"]).dt.date)
    hours = capacity.hourly_forecast(
        forecast[forecast["series_id"] == OVERALL_ORDERS], capacity.hour_shares(hour_weekday)
    )
    return seasonality.peak_periods(series, forecast, hourly_orders, hours)


def resource_plan(
    forecast: pd.DataFrame,
    hour_weekday: pd.DataFrame,
    *,
    orders_per_agent_hour,
    shift_length_hours,
    first_shift_start_hour,
    target_utilisation,
    warehouse_orders_per_day,
) -> pd.DataFrame:
    """ml.resource_plan: agents per shift and warehouse load per day from the overall order
    forecast (its rows of ml.demand_forecast), with the capacity settings (capacity.py), each
    one value or a mapping store -> value."""
    forecast = forecast[forecast["series_id"] == OVERALL_ORDERS]
    settings = {
        store: capacity.CapacitySettings.for_store(
            store,
            orders_per_agent_hour=orders_per_agent_hour,
            shift_length_hours=shift_length_hours,
            first_shift_start_hour=first_shift_start_hour,
            target_utilisation=target_utilisation,
            warehouse_orders_per_day=warehouse_orders_per_day,
        )
        for store in sorted(forecast["store"].unique())
    }
    plan = capacity.resource_plan(capacity.hourly_forecast(forecast, capacity.hour_shares(hour_weekday)), settings)
    for store, rows in plan.groupby("store"):
        days = rows.drop_duplicates("plan_date")
        log_progress(
            "resource_plan",
            f"{store}: {int(days['is_over_capacity'].sum())} days over capacity "
            f"({int(days['is_over_capacity_upper_80'].sum())} at the 80% upper bound), "
            f"up to {int(rows['agents_needed'].max())} agents a shift",
        )
    return plan


def anomalies(
    components: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    registry_rows: pd.DataFrame,
    *,
    daily_threshold: float,
    settings: DetectorSettings,
) -> pd.DataFrame:
    """ml.anomalies: the unusual days of every series (ml.seasonality_components), and the
    orders and customers the registered detectors flag (anomalies.py; registry_rows: the
    newest versions of ml_registry.anomaly_models, demand.registry)."""
    with timed_step("anomalies", "detectors"):
        return anomaly_registry.score(
            components, orders, customers, registry_rows, daily_threshold=daily_threshold, settings=settings
        )


def detector_settings(*, contamination, svm_sample_size, autoencoder_sample_size, seed, neural) -> DetectorSettings:
    """The detector settings as a dbt model's config passes them (the demand_anomaly_* vars,
    ml_seed, ml_neural: text)."""
    return DetectorSettings(
        contamination=float(contamination),
        svm_sample_size=int(svm_sample_size),
        autoencoder_sample_size=int(autoencoder_sample_size),
        seed=int(seed),
        neural=neural_enabled(neural),
    )
