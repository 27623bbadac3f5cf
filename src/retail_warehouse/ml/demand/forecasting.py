"""Daily demand forecasts: seasonal naive (the baseline), ETS, SARIMA and Prophet, chosen per
series by a rolling-origin backtest (MAE, RMSE, sMAPE, MASE) and refitted on all data.

Every model sees the open-day sequence of demand_series (closed weekdays left out, closures
imputed), with a weekly season of `season_length` open days, and forecasts the next open-day
positions; the caller sets closed days to 0. Forecasts and interval bounds are clipped at 0:
demand is not negative.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from retail_warehouse.ml.common import single_threaded
from retail_warehouse.ml.demand.series import DAY_CLOSED_WEEKDAY, DAY_OPEN, calendar_from_series

SEASONAL_NAIVE = "seasonal_naive"
ETS = "ets"
SARIMA = "sarima"
PROPHET = "prophet"
MODELS = (SEASONAL_NAIVE, ETS, SARIMA, PROPHET)
# Fewer open days than this in the training data: only the seasonal naive is fitted.
MIN_TRAINING_WEEKS = 8
Z80 = float(stats.norm.ppf(0.9))
Z95 = float(stats.norm.ppf(0.975))


@dataclass
class Forecast:
    """Point forecast and 80% / 95% interval bounds for the next positions."""

    point: np.ndarray
    lower_80: np.ndarray
    upper_80: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray

    def clipped(self) -> Forecast:
        return Forecast(*(np.maximum(np.asarray(a, dtype=float), 0.0) for a in self.__dict__.values()))


def _normal_forecast(point: np.ndarray, sigma: np.ndarray) -> Forecast:
    return Forecast(point, point - Z80 * sigma, point + Z80 * sigma, point - Z95 * sigma, point + Z95 * sigma)


def seasonal_naive(y: np.ndarray, steps: int, season_length: int) -> Forecast:
    """The value of the same weekday one season earlier; intervals from the spread of the
    seasonal differences, widening with every further season ahead (sigma sqrt(k + 1))."""
    m = min(season_length, len(y))
    point = np.array([y[len(y) - m + (h % m)] for h in range(steps)], dtype=float)
    differences = y[m:] - y[:-m] if len(y) > m else np.zeros(1)
    sigma = float(np.sqrt(np.mean(differences**2)))
    seasons_ahead = np.arange(steps) // m
    return _normal_forecast(point, sigma * np.sqrt(seasons_ahead + 1))


def ets(y: np.ndarray, steps: int, season_length: int) -> Forecast:
    """ETS(A, Ad, A): additive errors, damped additive trend, additive weekly season
    (additive, as revenue days can be 0 or negative); analytic prediction intervals."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # A Series: summary_frame needs an index to label its rows.
        fitted = ETSModel(
            pd.Series(y.astype(float)),
            error="add",
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=season_length,
        ).fit(disp=False, maxiter=200)
        frame80 = fitted.get_prediction(start=len(y), end=len(y) + steps - 1).summary_frame(alpha=0.2)
        frame95 = fitted.get_prediction(start=len(y), end=len(y) + steps - 1).summary_frame(alpha=0.05)
    return Forecast(
        frame80["mean"].to_numpy(),
        frame80["pi_lower"].to_numpy(),
        frame80["pi_upper"].to_numpy(),
        frame95["pi_lower"].to_numpy(),
        frame95["pi_upper"].to_numpy(),
    )


def sarima(y: np.ndarray, steps: int, season_length: int) -> Forecast:
    """SARIMA(1,0,1)(0,1,1)m: small orders, a seasonal difference and a seasonal MA term,
    the 'airline-like' model for a weekly pattern with a drifting level."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = SARIMAX(
            y.astype(float),
            order=(1, 0, 1),
            seasonal_order=(0, 1, 1, season_length),
            # The variance concentrated out of the likelihood: one parameter less to search.
            concentrate_scale=True,
        ).fit(disp=False, maxiter=100)
        prediction = fitted.get_forecast(steps)
        bounds80 = np.asarray(prediction.conf_int(alpha=0.2))
        bounds95 = np.asarray(prediction.conf_int(alpha=0.05))
    return Forecast(
        np.asarray(prediction.predicted_mean), bounds80[:, 0], bounds80[:, 1], bounds95[:, 0], bounds95[:, 1]
    )


def silence_prophet_logging() -> None:
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # Prophet logs the absence of plotly (interactive plots, not used here) as an error.
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)


def prophet(y: np.ndarray, dates: pd.DatetimeIndex, future_dates: pd.DatetimeIndex, seed: int) -> Forecast:
    """Prophet with weekly seasonality (yearly only with two years of data), fitted by MAP
    (seeded). Intervals are normal, from the spread of the in-sample residuals: Prophet's own
    intervals sample from numpy's global generator, which other models running in the same
    dbt process draw from too (scikit-learn's OneClassSVM does), so they would not repeat;
    the trend's uncertainty is left out."""
    silence_prophet_logging()
    from prophet import Prophet

    span_days = (dates.max() - dates.min()).days
    model = Prophet(
        weekly_seasonality=True,
        yearly_seasonality=span_days >= 730,
        daily_seasonality=False,
        uncertainty_samples=0,
    )
    model.fit(pd.DataFrame({"ds": dates, "y": y.astype(float)}), seed=seed)
    fitted = model.predict(pd.DataFrame({"ds": dates}))["yhat"].to_numpy()
    sigma = float(np.std(y - fitted))
    point = model.predict(pd.DataFrame({"ds": future_dates}))["yhat"].to_numpy()
    return _normal_forecast(point, np.full(len(point), sigma))


def fit_forecast(
    model_name: str,
    y: np.ndarray,
    dates: pd.DatetimeIndex,
    future_dates: pd.DatetimeIndex,
    season_length: int,
    seed: int,
) -> Forecast:
    """One model fitted on y (the open-day sequence at `dates`) and forecast at future_dates."""
    steps = len(future_dates)
    with single_threaded():
        if model_name == SEASONAL_NAIVE:
            result = seasonal_naive(y, steps, season_length)
        elif model_name == ETS:
            result = ets(y, steps, season_length)
        elif model_name == SARIMA:
            result = sarima(y, steps, season_length)
        elif model_name == PROPHET:
            result = prophet(y, dates, future_dates, seed)
        else:
            raise ValueError(f"unknown forecasting model {model_name!r}")
    if not np.all(np.isfinite(result.point)):
        raise FloatingPointError(f"{model_name} gave a non-finite forecast")
    return result.clipped()


def models_for(series_dimension: str, training_days: int, season_length: int, prophet_dimensions) -> list[str]:
    """The models worth fitting on a series: the seasonal naive always; ETS and SARIMA with at
    least MIN_TRAINING_WEEKS weeks of open days; Prophet also only on the dimensions asked
    for (it is the slowest by far)."""
    if training_days < MIN_TRAINING_WEEKS * season_length:
        return [SEASONAL_NAIVE]
    models = [SEASONAL_NAIVE, ETS, SARIMA]
    if series_dimension in prophet_dimensions:
        models.append(PROPHET)
    return models


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Symmetric MAPE in percent, 0-200; a day where both are 0 counts as no error."""
    denominator = np.abs(actual) + np.abs(predicted)
    ratio = np.divide(
        2 * np.abs(actual - predicted), denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    return float(100 * np.mean(ratio))


def seasonal_naive_scale(y: np.ndarray, season_length: int) -> float:
    """In-sample MAE of the seasonal naive on the training sequence: the MASE denominator."""
    if len(y) <= season_length:
        return float("nan")
    return float(np.mean(np.abs(y[season_length:] - y[:-season_length])))


def accuracy(actual: np.ndarray, predicted: np.ndarray, scale: float) -> dict[str, float]:
    error = actual - predicted
    mae = float(np.mean(np.abs(error)))
    return {
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(error**2))),
        "smape": smape(actual, predicted),
        "mase": mae / scale if scale > 0 else float("nan"),
    }


def model_sequence(series: pd.DataFrame) -> pd.DataFrame:
    """The rows of one series that the models see (closed weekdays left out), by date."""
    rows = series[series["day_status"] != DAY_CLOSED_WEEKDAY].sort_values("series_date")
    return rows.assign(series_date=pd.to_datetime(rows["series_date"]))


def backtest_series(
    series: pd.DataFrame,
    *,
    horizon_days: int,
    fold_count: int,
    seed: int,
    prophet_dimensions: tuple[str, ...],
    on_failure=None,
) -> list[dict]:
    """Rolling-origin backtest of one series: fold k trains on the days before
    end - k * horizon_days and forecasts the next horizon_days calendar days; errors are
    measured on the open days of that window (closed days are 0 for every model).
    Folds whose training would be shorter than two seasons are skipped."""
    sequence = model_sequence(series)
    if sequence.empty:
        return []
    season_length = int(sequence["season_length"].iloc[0])
    dates = pd.DatetimeIndex(sequence["series_date"])
    model_values = sequence["model_value"].to_numpy(dtype=float)
    actual = sequence["actual_value"].to_numpy(dtype=float)
    is_open = (sequence["day_status"] == DAY_OPEN).to_numpy()
    last_day = dates.max()
    rows = []
    failed: set[str] = set()
    for fold in range(1, fold_count + 1):
        origin = last_day - pd.Timedelta(days=fold * horizon_days)
        train = dates <= origin
        test = (dates > origin) & (dates <= origin + pd.Timedelta(days=horizon_days))
        evaluated = test & is_open
        if train.sum() < 2 * season_length or evaluated.sum() == 0:
            continue
        y_train = model_values[train]
        scale = seasonal_naive_scale(y_train, season_length)
        for model_name in models_for(series["dimension"].iloc[0], int(train.sum()), season_length, prophet_dimensions):
            if model_name in failed:
                continue
            try:
                result = fit_forecast(model_name, y_train, dates[train], dates[test], season_length, seed)
            except Exception as error:
                failed.add(model_name)
                if on_failure is not None:
                    on_failure(model_name, error)
                continue
            predicted = result.point[is_open[test]]
            observed = actual[evaluated]
            in_80 = (observed >= result.lower_80[is_open[test]]) & (observed <= result.upper_80[is_open[test]])
            in_95 = (observed >= result.lower_95[is_open[test]]) & (observed <= result.upper_95[is_open[test]])
            rows.append(
                {
                    "model_name": model_name,
                    "fold_number": fold,
                    "origin_date": origin.date(),
                    "training_days": int(train.sum()),
                    "evaluated_days": int(evaluated.sum()),
                    **accuracy(observed, predicted, scale),
                    "coverage_80": float(np.mean(in_80)),
                    "coverage_95": float(np.mean(in_95)),
                }
            )
    # A model that failed on one fold is left out of the series: every model is compared on
    # the same folds.
    return [row for row in rows if row["model_name"] not in failed]


def run_backtest(
    demand_series: pd.DataFrame,
    *,
    horizon_days: int,
    fold_count: int,
    seed: int,
    prophet_dimensions: tuple[str, ...],
    log=None,
) -> pd.DataFrame:
    """backtest_series over every series of demand_series: one row per store + series +
    model + fold."""
    keys = ["store", "series_id", "metric", "dimension", "dimension_value"]
    frames = []
    for key_values, series in demand_series.groupby(keys, sort=True):
        rows = backtest_series(
            series,
            horizon_days=horizon_days,
            fold_count=fold_count,
            seed=seed,
            prophet_dimensions=prophet_dimensions,
            on_failure=None
            if log is None
            else (lambda name, error, k=key_values: log(f"{k[0]} {k[1]}: {name} left out: {error}")),
        )
        if log is not None:
            log(f"{key_values[0]} {key_values[1]}: {len(rows)} fold results")
        if rows:
            frames.append(pd.DataFrame(rows).assign(**dict(zip(keys, key_values))))
    columns = keys + [
        "model_name",
        "fold_number",
        "origin_date",
        "training_days",
        "evaluated_days",
        "mae",
        "rmse",
        "smape",
        "mase",
        "coverage_80",
        "coverage_95",
    ]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def select_models(backtest: pd.DataFrame) -> pd.DataFrame:
    """Per series and model: the metrics averaged over the folds every model of the series
    ran on, the rank by mean MASE (then MAE; ties go to the simpler model, in MODELS
    order), the chosen model (rank 1) and its MASE relative to the seasonal naive."""
    keys = ["store", "series_id", "metric", "dimension", "dimension_value"]
    if backtest.empty:
        return pd.DataFrame(
            columns=keys
            + [
                "model_name",
                "fold_count",
                "mean_mae",
                "mean_rmse",
                "mean_smape",
                "mean_mase",
                "mean_coverage_80",
                "mean_coverage_95",
                "model_rank",
                "is_chosen",
                "mase_vs_seasonal_naive",
                "beats_seasonal_naive",
            ]
        )
    summary = (
        backtest.groupby(keys + ["model_name"], sort=True)
        .agg(
            fold_count=("fold_number", "nunique"),
            mean_mae=("mae", "mean"),
            mean_rmse=("rmse", "mean"),
            mean_smape=("smape", "mean"),
            mean_mase=("mase", "mean"),
            mean_coverage_80=("coverage_80", "mean"),
            mean_coverage_95=("coverage_95", "mean"),
        )
        .reset_index()
    )
    summary["model_order"] = summary["model_name"].map({name: i for i, name in enumerate(MODELS)})
    # A MASE that could not be computed (constant training data) ranks on MAE alone.
    summary["rank_key"] = summary["mean_mase"].fillna(summary["mean_mae"])
    summary = summary.sort_values(keys + ["rank_key", "mean_mae", "model_order"])
    summary["model_rank"] = summary.groupby(keys).cumcount() + 1
    summary["is_chosen"] = summary["model_rank"] == 1
    naive = summary[summary["model_name"] == SEASONAL_NAIVE].set_index(keys)["rank_key"]
    naive_key = summary.set_index(keys).index.map(naive)
    summary["mase_vs_seasonal_naive"] = np.where(
        np.asarray(naive_key, dtype=float) > 0, summary["rank_key"] / np.asarray(naive_key, dtype=float), np.nan
    )
    summary["beats_seasonal_naive"] = summary["rank_key"] < np.asarray(naive_key, dtype=float)
    return summary.drop(columns=["model_order", "rank_key"]).reset_index(drop=True)


def forecast_series(series: pd.DataFrame, model_name: str, *, horizon_days: int, seed: int) -> pd.DataFrame:
    """The chosen model refitted on the whole series, forecast for the horizon_days calendar
    days after its last day: one row per date, 0 on closed weekdays and planned closures."""
    calendar = calendar_from_series(series)
    sequence = model_sequence(series)
    future = calendar.future_dates(horizon_days)
    status = calendar.day_status(future, future=True)
    modelled = status != DAY_CLOSED_WEEKDAY
    result = fit_forecast(
        model_name,
        sequence["model_value"].to_numpy(dtype=float),
        pd.DatetimeIndex(sequence["series_date"]),
        future[modelled],
        calendar.season_length,
        seed,
    )
    frame = pd.DataFrame(
        {
            "forecast_date": future.date,
            "horizon_day": np.arange(1, horizon_days + 1, dtype="int32"),
            "day_status": status.astype(str),
        }
    )
    for column, values in result.__dict__.items():
        full = np.zeros(horizon_days)
        full[modelled] = values
        full[status != DAY_OPEN] = 0.0
        frame[f"{column}_forecast" if column == "point" else column] = full
    frame["model_name"] = model_name
    return frame
