"""Seasonality of demand: STL decomposition of each daily series, weekday / month / hour x
weekday profiles, and the peak periods (days and hours in the top demand decile)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.ml.demand.forecasting import model_sequence
from retail_warehouse.ml.demand.series import DAY_OPEN

# 1.4826 x MAD estimates the standard deviation of normal data.
MAD_TO_SIGMA = 1.4826
PEAK_QUANTILE = 0.9
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def robust_scores(values: np.ndarray) -> np.ndarray:
    """(value - median) / (1.4826 MAD); 0 everywhere when the MAD is 0 and all are equal,
    else the MAD falls back to the mean absolute deviation so the score stays finite."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    centre = np.median(values)
    spread = MAD_TO_SIGMA * np.median(np.abs(values - centre))
    if spread == 0:
        spread = np.mean(np.abs(values - centre)) * np.sqrt(np.pi / 2)
    if spread == 0:
        return np.zeros(len(values))
    return (values - centre) / spread


def stl_components(series: pd.DataFrame) -> pd.DataFrame:
    """Robust STL of one series' open-day sequence (period: open weekdays; seasonal smoother
    13, trend window about four weeks), with the robust
    score of each residual. Closures (imputed values) get no score. Fewer than two seasons:
    no rows."""
    from statsmodels.tsa.seasonal import STL

    sequence = model_sequence(series)
    if sequence.empty:
        return pd.DataFrame()
    season_length = int(sequence["season_length"].iloc[0])
    observed = sequence["model_value"].to_numpy(dtype=float)
    if len(observed) < 2 * season_length + 1 or season_length < 2:
        return pd.DataFrame()
    # A smooth season (13 weeks) and a four-week trend: with STL's defaults the trend follows
    # every swing, and a tenth of all days would look abnormal.
    trend_window = 4 * season_length + 1
    fitted = STL(observed, period=season_length, seasonal=13, trend=trend_window, robust=True).fit()
    is_open = (sequence["day_status"] == DAY_OPEN).to_numpy()
    scores = np.full(len(observed), np.nan)
    scores[is_open] = robust_scores(fitted.resid[is_open])
    return pd.DataFrame(
        {
            "series_date": sequence["series_date"].dt.date.to_numpy(),
            "day_status": sequence["day_status"].to_numpy(),
            "observed_value": observed,
            "trend_value": fitted.trend,
            "seasonal_value": fitted.seasonal,
            "residual_value": fitted.resid,
            "residual_score": scores,
        }
    )


def seasonality_components(demand_series: pd.DataFrame) -> pd.DataFrame:
    keys = ["store", "series_id", "metric", "dimension", "dimension_value"]
    frames = [
        stl_components(series).assign(**dict(zip(keys, key_values)))
        for key_values, series in demand_series.groupby(keys, sort=True)
    ]
    frames = [frame for frame in frames if not frame.empty]
    columns = keys + [
        "series_date",
        "day_status",
        "observed_value",
        "trend_value",
        "seasonal_value",
        "residual_value",
        "residual_score",
    ]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def _profile_rows(store, metric, profile, keys, labels, means, counts, weekday=None, month=None, hour=None):
    overall = float(np.mean(means[counts > 0])) if (counts > 0).any() else 0.0
    index = means / overall if overall else np.zeros(len(means))
    positive = means[counts > 0]
    threshold = float(np.quantile(positive, PEAK_QUANTILE)) if len(positive) else np.inf
    return pd.DataFrame(
        {
            "store": store,
            "metric": metric,
            "profile": profile,
            "period_key": np.asarray(keys, dtype="int32"),
            "iso_day_of_week": weekday,
            "calendar_month": month,
            "hour_of_day": hour,
            "period_label": labels,
            "mean_value": means,
            "seasonal_index": index,
            "day_count": np.asarray(counts, dtype="int64"),
            "is_peak": (means >= threshold) & (counts > 0) & (means > 0),
        }
    )


def seasonal_profiles(demand_series: pd.DataFrame, hour_weekday: pd.DataFrame) -> pd.DataFrame:
    """Per store and metric (overall orders and net revenue): the mean per open day by
    weekday and by month, and the mean per hour of each weekday (from sales_hour_weekday,
    divided by the open days of that weekday); seasonal_index = mean / mean of the profile's
    periods; is_peak: the periods in the top decile of the profile."""
    frames = []
    overall = demand_series[demand_series["dimension"] == "overall"]
    for (store, metric), series in overall.groupby(["store", "metric"], sort=True):
        open_days = series[series["day_status"] == DAY_OPEN]
        dates = pd.to_datetime(open_days["series_date"])
        by_weekday = open_days.groupby((dates.dt.dayofweek + 1).to_numpy())["actual_value"].agg(["mean", "count"])
        by_weekday = by_weekday.reindex(range(1, 8)).fillna({"mean": 0.0, "count": 0})
        weekdays = np.arange(1, 8)
        frames.append(
            _profile_rows(
                store,
                metric,
                "weekday",
                weekdays,
                list(DAY_NAMES),
                by_weekday["mean"].to_numpy(),
                by_weekday["count"].to_numpy(),
                weekday=weekdays.astype("int32"),
            )
        )
        by_month = open_days.groupby(dates.dt.month.to_numpy())["actual_value"].agg(["mean", "count"])
        by_month = by_month.reindex(range(1, 13)).fillna({"mean": 0.0, "count": 0})
        months = np.arange(1, 13)
        frames.append(
            _profile_rows(
                store,
                metric,
                "month",
                months,
                list(MONTH_NAMES),
                by_month["mean"].to_numpy(),
                by_month["count"].to_numpy(),
                month=months.astype("int32"),
            )
        )
        cells = hour_weekday[hour_weekday["store"] == store]
        if cells.empty:
            continue
        value_column = "order_count" if metric == "orders" else "net_revenue_amount"
        cells = cells.sort_values(["iso_day_of_week", "hour_of_day"])
        weekday_days = cells["iso_day_of_week"].map(by_weekday["count"]).to_numpy(dtype=float)
        totals = cells[value_column].to_numpy(dtype=float)
        means = np.divide(totals, weekday_days, out=np.zeros_like(totals), where=weekday_days > 0)
        frames.append(
            _profile_rows(
                store,
                metric,
                "hour_weekday",
                cells["iso_day_of_week"].to_numpy() * 100 + cells["hour_of_day"].to_numpy(),
                [f"{DAY_NAMES[d - 1]} {h:02d}:00" for d, h in zip(cells["iso_day_of_week"], cells["hour_of_day"])],
                means,
                weekday_days.astype("int64"),
                weekday=cells["iso_day_of_week"].to_numpy().astype("int32"),
                hour=cells["hour_of_day"].to_numpy().astype("int32"),
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=[
                "store",
                "metric",
                "profile",
                "period_key",
                "iso_day_of_week",
                "calendar_month",
                "hour_of_day",
                "period_label",
                "mean_value",
                "seasonal_index",
                "day_count",
                "is_peak",
            ]
        )
    profiles = pd.concat(frames, ignore_index=True)
    for column in ("iso_day_of_week", "calendar_month", "hour_of_day"):
        profiles[column] = profiles[column].astype("Int32")
    return profiles


def _peaks(values: pd.DataFrame, threshold: float, median: float) -> pd.DataFrame:
    peaks = values[values["value"] >= threshold].copy()
    peaks["threshold_value"] = threshold
    peaks["ratio_to_median"] = peaks["value"] / median if median > 0 else np.nan
    return peaks


def peak_periods(
    demand_series: pd.DataFrame,
    demand_forecast: pd.DataFrame,
    hourly_actual: pd.DataFrame,
    hourly_forecast: pd.DataFrame,
) -> pd.DataFrame:
    """The days and hours in the top demand decile, past and forecast, per store.

    Days: overall orders and net revenue per day; the threshold is the 90th percentile of
    the store's actual open days, and forecast days (point forecast) are judged against the
    same threshold. Hours: orders per date and hour, over every hour of the open days (the
    hours of a closed night count as 0); forecast hours are hourly_forecast's split of the
    daily forecast. peak_rank orders each store + metric + period_type + source by value."""
    frames = []
    overall = demand_series[demand_series["dimension"] == "overall"]
    for (store, metric), series in overall.groupby(["store", "metric"], sort=True):
        open_days = series[series["day_status"] == DAY_OPEN]
        if open_days.empty:
            continue
        actual_values = open_days["actual_value"].to_numpy(dtype=float)
        threshold = float(np.quantile(actual_values, PEAK_QUANTILE))
        median = float(np.median(actual_values))
        actual = pd.DataFrame({"period_date": pd.to_datetime(open_days["series_date"]).dt.date, "value": actual_values})
        forecast = demand_forecast[
            (demand_forecast["store"] == store) & (demand_forecast["series_id"] == series["series_id"].iloc[0])
        ]
        forecast = forecast[forecast["day_status"] == DAY_OPEN]
        forecast = pd.DataFrame(
            {
                "period_date": pd.to_datetime(forecast["forecast_date"]).dt.date,
                "value": forecast["point_forecast"].to_numpy(dtype=float),
            }
        )
        for source, values in (("actual", actual), ("forecast", forecast)):
            frames.append(
                _peaks(values, threshold, median).assign(
                    store=store, metric=metric, period_type="day", source=source, hour_of_day=pd.NA
                )
            )
        if metric != "orders":
            continue
        open_dates = set(actual["period_date"])
        store_hours = hourly_actual[hourly_actual["store"] == store]
        grid = pd.MultiIndex.from_product([sorted(open_dates), range(24)], names=["period_date", "hour_of_day"])
        hours = (
            store_hours.set_index(["period_date", "hour_of_day"])["order_count"]
            .reindex(grid, fill_value=0)
            .reset_index()
        )
        hour_values = hours["order_count"].to_numpy(dtype=float)
        hour_threshold = float(np.quantile(hour_values, PEAK_QUANTILE))
        hour_median = float(np.median(hour_values[hour_values > 0])) if (hour_values > 0).any() else 0.0
        hours = hours.rename(columns={"order_count": "value"})
        future_hours = hourly_forecast[hourly_forecast["store"] == store]
        future_hours = pd.DataFrame(
            {
                "period_date": pd.to_datetime(future_hours["forecast_date"]).dt.date,
                "hour_of_day": future_hours["hour_of_day"],
                "value": future_hours["point_forecast"].to_numpy(dtype=float),
            }
        )
        for source, values in (("actual", hours), ("forecast", future_hours)):
            frames.append(
                _peaks(values, max(hour_threshold, np.finfo(float).tiny), hour_median).assign(
                    store=store, metric=metric, period_type="hour", source=source
                )
            )
    columns = [
        "store",
        "metric",
        "period_type",
        "source",
        "period_date",
        "hour_of_day",
        "value",
        "threshold_value",
        "ratio_to_median",
        "peak_rank",
    ]
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    peaks = pd.concat(frames, ignore_index=True)
    peaks["hour_of_day"] = peaks["hour_of_day"].astype("Int32")
    peaks = peaks.sort_values(
        ["store", "metric", "period_type", "source", "value", "period_date", "hour_of_day"],
        ascending=[True, True, True, True, False, True, True],
    )
    peaks["peak_rank"] = peaks.groupby(["store", "metric", "period_type", "source"]).cumcount() + 1
    return peaks[columns].reset_index(drop=True)
