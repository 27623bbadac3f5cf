"""Daily demand forecasts: seasonal naive (the baseline), ETS, SARIMA, Prophet and the LSTM and
GRU networks (recurrent.py; left out with var ml_neural false), chosen per
series by a rolling-origin backtest (MAE, RMSE, sMAPE, MASE) and refitted on all data.

The backtest's older folds select: the model of lowest mean MASE there is the candidate. The
more recent folds evaluate: the candidate is served only if it beats the seasonal naive on
most of them, and the figures reported (MASE, coverage) are theirs. Prediction intervals are
calibrated by split-conformal scaling of their half-widths on the errors of the folds just
before (CALIBRATION_FOLDS): each fold's calibrated coverage is out of sample, and the served
forecast is scaled by the factor of the most recent folds.

Every model sees the open-day sequence of demand_series (closed weekdays left out, closures
imputed), with a weekly season of `season_length` open days, and forecasts the next open-day
positions; the caller sets closed days to 0. Forecasts and interval bounds are clipped at 0:
demand is not negative.
"""

from __future__ import annotations

import logging
import time
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
LSTM = "lstm"
GRU = "gru"
NEURAL_MODELS = (LSTM, GRU)
# Ties in the selection go to the model listed first (the simpler one).
MODELS = (SEASONAL_NAIVE, ETS, SARIMA, PROPHET, LSTM, GRU)
# Fewer open days than this in the training data: only the seasonal naive is fitted.
MIN_TRAINING_WEEKS = 8
Z80 = float(stats.norm.ppf(0.9))
Z95 = float(stats.norm.ppf(0.975))
SELECTION = "selection"
EVALUATION = "evaluation"
# Intervals are calibrated on the errors of the folds just before (56 days): demand's spread
# drifts with the season, and on the real build the two previous folds brought the 80%
# coverage closest to nominal (mean |coverage - 80%| over series and models: 0.039, against
# 0.062 with every older fold and 0.092 uncalibrated).
CALIBRATION_FOLDS = 2


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

    def scaled(self, scale_80: float, scale_95: float) -> Forecast:
        """The intervals' distances to the point forecast multiplied by scale_80 / scale_95
        (the 95% interval kept around the 80% one)."""
        point = self.point
        lower_80 = point - scale_80 * (point - self.lower_80)
        upper_80 = point + scale_80 * (self.upper_80 - point)
        return Forecast(
            point,
            lower_80,
            upper_80,
            np.minimum(point - scale_95 * (point - self.lower_95), lower_80),
            np.maximum(point + scale_95 * (self.upper_95 - point), upper_80),
        )

    def interval_scores(self, actual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per day, the smallest scale of the 80% / 95% interval that holds the actual value
        (distance to the point over the interval's half-width on that side): the conformal
        scores. 0 when the actual is the point, inf outside a zero-width side."""

        def score(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
            above = actual - self.point
            width = np.where(above >= 0, upper - self.point, self.point - lower)
            distance = np.abs(above)
            return np.divide(distance, width, out=np.where(distance > 0, np.inf, 0.0), where=width > 0)

        return score(self.lower_80, self.upper_80), score(self.lower_95, self.upper_95)


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


def _ets_model(y: np.ndarray, season_length: int):
    """ETS(A, Ad, A): additive errors, damped additive trend, additive weekly season (additive,
    as revenue days can be 0 or negative)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    # A Series: summary_frame needs an index to label its rows.
    return ETSModel(
        pd.Series(y.astype(float)),
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add",
        seasonal_periods=season_length,
    )


def _sarima_model(y: np.ndarray, season_length: int):
    """SARIMA(1,0,1)(0,1,1)m: small orders, a seasonal difference and a seasonal MA term,
    the 'airline-like' model for a weekly pattern with a drifting level."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    return SARIMAX(
        y.astype(float),
        order=(1, 0, 1),
        seasonal_order=(0, 1, 1, season_length),
        # The variance concentrated out of the likelihood: one parameter less to search.
        concentrate_scale=True,
    )


def estimate(model_name: str, y: np.ndarray, season_length: int) -> np.ndarray | None:
    """The parameters of ETS (smoothing parameters, damping and initial states) or SARIMA (AR,
    MA and seasonal MA terms) estimated on y by maximum likelihood; None for the seasonal naive,
    which has none."""
    if model_name == SEASONAL_NAIVE:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model_name == ETS:
            return np.asarray(_ets_model(y, season_length).fit(disp=False, maxiter=200).params, dtype=float)
        if model_name == SARIMA:
            return np.asarray(_sarima_model(y, season_length).fit(disp=False, maxiter=100).params, dtype=float)
    raise ValueError(f"{model_name!r} has no parameters to estimate")


def forecast_with(
    model_name: str, params: np.ndarray | None, y: np.ndarray, steps: int, season_length: int
) -> Forecast:
    """The model with the given parameters (estimate) run over y without re-estimating them (ETS
    smoothed, SARIMA filtered: their states follow y to its end), forecast for the next steps
    positions with its analytic intervals; the seasonal naive needs no parameters. y may be
    the sequence the parameters were estimated on or that sequence with newer days."""
    if model_name == SEASONAL_NAIVE:
        return seasonal_naive(y, steps, season_length)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model_name == ETS:
            fitted = _ets_model(y, season_length).smooth(params)
            frame80 = fitted.get_prediction(start=len(y), end=len(y) + steps - 1).summary_frame(alpha=0.2)
            frame95 = fitted.get_prediction(start=len(y), end=len(y) + steps - 1).summary_frame(alpha=0.05)
            return Forecast(
                frame80["mean"].to_numpy(),
                frame80["pi_lower"].to_numpy(),
                frame80["pi_upper"].to_numpy(),
                frame95["pi_lower"].to_numpy(),
                frame95["pi_upper"].to_numpy(),
            )
        if model_name == SARIMA:
            prediction = _sarima_model(y, season_length).filter(params, cov_type="none").get_forecast(steps)
            bounds80 = np.asarray(prediction.conf_int(alpha=0.2))
            bounds95 = np.asarray(prediction.conf_int(alpha=0.05))
            return Forecast(
                np.asarray(prediction.predicted_mean), bounds80[:, 0], bounds80[:, 1], bounds95[:, 0], bounds95[:, 1]
            )
    raise ValueError(f"{model_name!r} cannot forecast from stored parameters")


def ets(y: np.ndarray, steps: int, season_length: int) -> Forecast:
    """ETS(A, Ad, A) estimated on y; analytic prediction intervals."""
    return forecast_with(ETS, estimate(ETS, y, season_length), y, steps, season_length)


def sarima(y: np.ndarray, steps: int, season_length: int) -> Forecast:
    """SARIMA(1,0,1)(0,1,1)m estimated on y."""
    return forecast_with(SARIMA, estimate(SARIMA, y, season_length), y, steps, season_length)


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


def conformal_scale(scores: np.ndarray, level: float) -> float:
    """Split-conformal scale of an interval of nominal `level` from the scores of calibration
    days (Forecast.interval_scores): their ceil((n + 1) level)-th smallest, so that a new day
    falls inside the scaled interval with probability at least `level` (exchangeable days);
    1 (the model's own interval) without scores, the largest finite score when n is too small."""
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return 1.0
    value = np.quantile(scores, min(np.ceil((scores.size + 1) * level) / scores.size, 1.0), method="inverted_cdf")
    if not np.isfinite(value):
        finite = scores[np.isfinite(scores)]
        return float(finite.max()) if finite.size else 1.0
    return float(value)


def fit_forecast(
    model_name: str,
    y: np.ndarray,
    dates: pd.DatetimeIndex,
    future_dates: pd.DatetimeIndex,
    season_length: int,
    seed: int,
    *,
    clip: bool = True,
) -> Forecast:
    """One model fitted on y (the open-day sequence at `dates`) and forecast at future_dates;
    clipped at 0 unless clip is False."""
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
        elif model_name in NEURAL_MODELS:
            from retail_warehouse.ml.demand.recurrent import recurrent_forecast

            result = _normal_forecast(*recurrent_forecast(y, steps, season_length, seed, model_name))
        else:
            raise ValueError(f"unknown forecasting model {model_name!r}")
    if not np.all(np.isfinite(result.point)):
        raise FloatingPointError(f"{model_name} gave a non-finite forecast")
    return result.clipped() if clip else result


def models_for(
    series_dimension: str, training_days: int, season_length: int, prophet_dimensions, *, neural: bool = False
) -> list[str]:
    """The models worth fitting on a series: the seasonal naive always; ETS and SARIMA with at
    least MIN_TRAINING_WEEKS weeks of open days; Prophet also only on the dimensions asked
    for (it is the slowest by far); the LSTM and GRU when `neural` (var ml_neural)."""
    if training_days < MIN_TRAINING_WEEKS * season_length:
        return [SEASONAL_NAIVE]
    models = [SEASONAL_NAIVE, ETS, SARIMA]
    if series_dimension in prophet_dimensions:
        models.append(PROPHET)
    if neural:
        models.extend(NEURAL_MODELS)
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


def fold_role(fold_number: int, fold_count: int) -> str:
    """Folds are numbered from the most recent (1): the more recent half (fold_count // 2,
    at least 1) evaluates, the older folds select."""
    return EVALUATION if fold_number <= max(fold_count // 2, 1) else SELECTION


def backtest_series(
    series: pd.DataFrame,
    *,
    horizon_days: int,
    fold_count: int,
    seed: int,
    prophet_dimensions: tuple[str, ...],
    neural: bool = False,
    on_failure=None,
    fit_seconds: dict[str, list[float]] | None = None,
) -> list[dict]:
    """Rolling-origin backtest of one series: fold k trains on the days before
    end - k * horizon_days and forecasts the next horizon_days calendar days; errors are
    measured on the open days of that window (closed days are 0 for every model).
    Folds whose training would be shorter than two seasons are skipped. On every fold the
    model's intervals are also calibrated on the CALIBRATION_FOLDS folds before it
    (conformal_scale of their days' scores; unscaled without any) and their coverage
    measured so (coverage_*_calibrated); serving_interval_scale_* is the factor of the most
    recent folds, the one the served forecast uses. fit_seconds, when given, accumulates each
    model's fitting time: [wall seconds, CPU seconds of this thread] (the CPU time does not
    count waiting for a core on a busy machine, nor the other models dbt runs meanwhile)."""
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
    forecasts: dict[tuple[str, int], tuple[Forecast, np.ndarray]] = {}
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
        names = models_for(
            series["dimension"].iloc[0], int(train.sum()), season_length, prophet_dimensions, neural=neural
        )
        for model_name in names:
            if model_name in failed:
                continue
            started = (time.perf_counter(), time.thread_time())
            try:
                raw = fit_forecast(model_name, y_train, dates[train], dates[test], season_length, seed, clip=False)
            except Exception as error:
                failed.add(model_name)
                if on_failure is not None:
                    on_failure(model_name, error)
                continue
            finally:
                if fit_seconds is not None:
                    spent = fit_seconds.setdefault(model_name, [0.0, 0.0])
                    spent[0] += time.perf_counter() - started[0]
                    spent[1] += time.thread_time() - started[1]
            open_raw = Forecast(*(values[is_open[test]] for values in raw.__dict__.values()))
            observed = actual[evaluated]
            forecasts[(model_name, fold)] = (open_raw, observed)
            result = open_raw.clipped()
            rows.append(
                {
                    "model_name": model_name,
                    "fold_number": fold,
                    "fold_role": fold_role(fold, fold_count),
                    "origin_date": origin.date(),
                    "training_days": int(train.sum()),
                    "evaluated_days": int(evaluated.sum()),
                    **accuracy(observed, result.point, scale),
                    **interval_coverage(result, observed),
                }
            )
    # A model that failed on one fold is left out of the series: every model is compared on
    # the same folds.
    rows = [row for row in rows if row["model_name"] not in failed]
    for row in rows:
        scale_80, scale_95 = calibrated_scales(
            forecasts, row["model_name"], range(row["fold_number"] + 1, row["fold_number"] + 1 + CALIBRATION_FOLDS)
        )
        serving_80, serving_95 = calibrated_scales(forecasts, row["model_name"], range(1, 1 + CALIBRATION_FOLDS))
        open_raw, observed = forecasts[(row["model_name"], row["fold_number"])]
        calibrated = interval_coverage(open_raw.scaled(scale_80, scale_95).clipped(), observed)
        row.update(
            interval_scale_80=scale_80,
            interval_scale_95=scale_95,
            coverage_80_calibrated=calibrated["coverage_80"],
            coverage_95_calibrated=calibrated["coverage_95"],
            serving_interval_scale_80=serving_80,
            serving_interval_scale_95=serving_95,
        )
    return rows


def calibrated_scales(forecasts: dict, model_name: str, folds) -> tuple[float, float]:
    """conformal_scale of the model's 80% and 95% intervals from the days of `folds` (those
    it ran on; 1, the model's own intervals, when none)."""
    scores = [
        forecasts[(model_name, fold)][0].interval_scores(forecasts[(model_name, fold)][1])
        for fold in folds
        if (model_name, fold) in forecasts
    ]
    if not scores:
        return 1.0, 1.0
    return tuple(
        conformal_scale(np.concatenate([fold_scores[i] for fold_scores in scores]), level)
        for i, level in enumerate((0.8, 0.95))
    )


def interval_coverage(forecast: Forecast, observed: np.ndarray) -> dict[str, float]:
    """Share of the observed days inside the 80% and the 95% interval."""
    return {
        f"coverage_{level}": float(np.mean((observed >= lower) & (observed <= upper)))
        for level, lower, upper in (
            (80, forecast.lower_80, forecast.upper_80),
            (95, forecast.lower_95, forecast.upper_95),
        )
    }


def run_backtest(
    demand_series: pd.DataFrame,
    *,
    horizon_days: int,
    fold_count: int,
    seed: int,
    prophet_dimensions: tuple[str, ...],
    neural: bool = False,
    log=None,
) -> pd.DataFrame:
    """backtest_series over every series of demand_series: one row per store + series +
    model + fold; the total fitting time of each model is logged."""
    keys = ["store", "series_id", "metric", "dimension", "dimension_value"]
    frames = []
    fit_seconds: dict[str, list[float]] = {}
    for key_values, series in demand_series.groupby(keys, sort=True):
        rows = backtest_series(
            series,
            horizon_days=horizon_days,
            fold_count=fold_count,
            seed=seed,
            prophet_dimensions=prophet_dimensions,
            neural=neural,
            fit_seconds=fit_seconds,
            on_failure=None
            if log is None
            else (lambda name, error, k=key_values: log(f"{k[0]} {k[1]}: {name} left out: {error}")),
        )
        if log is not None:
            log(f"{key_values[0]} {key_values[1]}: {len(rows)} fold results")
        if rows:
            frames.append(pd.DataFrame(rows).assign(**dict(zip(keys, key_values))))
    if log is not None:
        log(
            "fit time over every series and fold (wall / CPU of one thread): "
            + ", ".join(f"{name} {wall:.1f} / {cpu:.1f} s" for name, (wall, cpu) in fit_seconds.items())
        )
    columns = keys + [
        "model_name",
        "fold_number",
        "fold_role",
        "origin_date",
        "training_days",
        "evaluated_days",
        "mae",
        "rmse",
        "smape",
        "mase",
        "coverage_80",
        "coverage_95",
        "interval_scale_80",
        "interval_scale_95",
        "coverage_80_calibrated",
        "coverage_95_calibrated",
        "serving_interval_scale_80",
        "serving_interval_scale_95",
    ]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


SELECTION_COLUMNS = [
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
    "selection_fold_count",
    "selection_mean_mase",
    "is_candidate",
    "evaluation_folds_won",
    "interval_scale_80",
    "interval_scale_95",
    "mean_coverage_80_calibrated",
    "mean_coverage_95_calibrated",
    "choice_reason",
]


def select_models(backtest: pd.DataFrame) -> pd.DataFrame:
    """Per series and model: the rank by mean MASE on the selection folds (then MAE; ties go
    to the simpler model, in MODELS order), the candidate (rank 1), and the metrics on the
    evaluation folds (mean_*, fold_count, mase_vs_seasonal_naive, evaluation_folds_won: folds
    with a lower MASE than the seasonal naive). The candidate is chosen (served) when it
    beats the seasonal naive there (lower mean MASE and most folds won); otherwise the
    seasonal naive is, and choice_reason says why. A series without selection folds keeps
    the seasonal naive."""
    keys = ["store", "series_id", "metric", "dimension", "dimension_value"]
    if backtest.empty:
        return pd.DataFrame(columns=keys + SELECTION_COLUMNS)
    # A MASE that could not be computed (constant training data) compares on MAE.
    backtest = backtest.assign(score=backtest["mase"].fillna(backtest["mae"]))
    naive_score = backtest[backtest["model_name"] == SEASONAL_NAIVE].set_index(keys + ["fold_number"])["score"]
    backtest["beats_naive"] = backtest["score"] < np.asarray(
        backtest.set_index(keys + ["fold_number"]).index.map(naive_score), dtype=float
    )
    selection_folds = backtest[backtest["fold_role"] == SELECTION]
    evaluation_folds = backtest[backtest["fold_role"] == EVALUATION]
    ranking = (
        selection_folds.groupby(keys + ["model_name"], sort=True)
        .agg(
            selection_fold_count=("fold_number", "nunique"),
            selection_mean_mase=("mase", "mean"),
            selection_score=("score", "mean"),
            selection_mae=("mae", "mean"),
        )
        .reset_index()
    )
    summary = (
        evaluation_folds.groupby(keys + ["model_name"], sort=True)
        .agg(
            fold_count=("fold_number", "nunique"),
            mean_mae=("mae", "mean"),
            mean_rmse=("rmse", "mean"),
            mean_smape=("smape", "mean"),
            mean_mase=("mase", "mean"),
            mean_coverage_80=("coverage_80", "mean"),
            mean_coverage_95=("coverage_95", "mean"),
            evaluation_score=("score", "mean"),
            evaluation_folds_won=("beats_naive", "sum"),
            interval_scale_80=("serving_interval_scale_80", "first"),
            interval_scale_95=("serving_interval_scale_95", "first"),
            mean_coverage_80_calibrated=("coverage_80_calibrated", "mean"),
            mean_coverage_95_calibrated=("coverage_95_calibrated", "mean"),
        )
        .reset_index()
        .merge(ranking, on=keys + ["model_name"], how="left")
    )
    summary["model_order"] = summary["model_name"].map({name: i for i, name in enumerate(MODELS)})
    summary = summary.sort_values(
        keys + ["selection_score", "selection_mae", "model_order"], na_position="last", kind="stable"
    )
    summary["model_rank"] = summary.groupby(keys).cumcount() + 1
    summary["is_candidate"] = (summary["model_rank"] == 1) & summary["selection_score"].notna()
    naive = summary[summary["model_name"] == SEASONAL_NAIVE].set_index(keys)["evaluation_score"]
    naive_score = np.asarray(summary.set_index(keys).index.map(naive), dtype=float)
    summary["mase_vs_seasonal_naive"] = np.where(naive_score > 0, summary["evaluation_score"] / naive_score, np.nan)
    summary["beats_seasonal_naive"] = (summary["model_name"] != SEASONAL_NAIVE) & (
        (summary["evaluation_score"] < naive_score) & (summary["evaluation_folds_won"] > summary["fold_count"] / 2)
    )
    frames = []
    for _, rows in summary.groupby(keys, sort=True):
        rows = rows.copy()
        candidate = rows[rows["is_candidate"]]
        if candidate.empty:
            chosen, reason = SEASONAL_NAIVE, "seasonal naive kept: no selection fold to choose a model on"
        else:
            best = candidate.iloc[0]
            won = f"{int(best['evaluation_folds_won'])} of {int(best['fold_count'])} evaluation folds"
            if best["model_name"] == SEASONAL_NAIVE:
                chosen, reason = SEASONAL_NAIVE, "seasonal naive: lowest MASE on the selection folds"
            elif best["beats_seasonal_naive"]:
                chosen, reason = best["model_name"], f"{best['model_name']} chosen on the selection folds, wins {won}"
            else:
                chosen = SEASONAL_NAIVE
                reason = (
                    f"seasonal naive kept: {best['model_name']}, chosen on the selection folds, wins {won} "
                    f"(MASE {best['mase_vs_seasonal_naive']:.2f} x seasonal naive): not better"
                )
        rows["is_chosen"] = rows["model_name"] == chosen
        rows["choice_reason"] = reason
        frames.append(rows)
    summary = pd.concat(frames, ignore_index=True)
    summary["evaluation_folds_won"] = summary["evaluation_folds_won"].astype(int)
    summary["selection_fold_count"] = summary["selection_fold_count"].fillna(0).astype(int)
    return summary[keys + SELECTION_COLUMNS].reset_index(drop=True)


# The models whose fit is a state ml_registry.forecast_models keeps and extends to newer days
# without re-estimating it (the seasonal naive has no parameters at all). Prophet, the LSTM and
# the GRU are refitted on all the data whenever they forecast: Prophet's forecast does not
# follow newer days without a refit, and the networks are not persisted.
EXTENDABLE_MODELS = (SEASONAL_NAIVE, ETS, SARIMA)


@dataclass(frozen=True)
class FittedForecast:
    """A series' chosen model as the registry keeps it: its name, the weekly season (open days),
    its estimated parameters (estimate; None for the seasonal naive, and for the models refitted
    when they forecast) and the interval scales calibrated in the backtest."""

    model_name: str
    season_length: int
    params: tuple[float, ...] | None
    interval_scale: tuple[float, float] = (1.0, 1.0)

    @property
    def is_extendable(self) -> bool:
        return self.model_name in EXTENDABLE_MODELS

    def forecast(self, y: np.ndarray, dates: pd.DatetimeIndex, future_dates: pd.DatetimeIndex, seed: int) -> Forecast:
        """The forecast at future_dates after y (the open-day sequence at `dates`), neither
        scaled nor clipped: the stored parameters run over y (forecast_with), or, for a model
        without an extendable state, the model refitted on y (fit_forecast)."""
        if not self.is_extendable:
            return fit_forecast(self.model_name, y, dates, future_dates, self.season_length, seed, clip=False)
        params = None if self.params is None else np.asarray(self.params, dtype=float)
        with single_threaded():
            result = forecast_with(self.model_name, params, y, len(future_dates), self.season_length)
        if not np.all(np.isfinite(result.point)):
            raise FloatingPointError(f"{self.model_name} gave a non-finite forecast")
        return result


def fit_chosen(
    series: pd.DataFrame, model_name: str, interval_scale: tuple[float, float] = (1.0, 1.0)
) -> FittedForecast:
    """The chosen model of a series estimated on all its open days (nothing to estimate for the
    seasonal naive, nor for the models refitted when they forecast)."""
    season_length = calendar_from_series(series).season_length
    params = None
    if model_name in (ETS, SARIMA):
        with single_threaded():
            params = estimate(model_name, model_sequence(series)["model_value"].to_numpy(dtype=float), season_length)
        params = tuple(float(value) for value in params)
    return FittedForecast(model_name, season_length, params, (float(interval_scale[0]), float(interval_scale[1])))


def forecast_series(series: pd.DataFrame, fitted: FittedForecast, *, horizon_days: int, seed: int) -> pd.DataFrame:
    """The series forecast by its fitted model (FittedForecast.forecast: its parameters run over
    the whole series, newer days included) for the horizon_days calendar days after its last
    day: one row per date, 0 on closed weekdays and planned closures. The 80% / 95% intervals
    are scaled by the fitted model's interval_scale (calibrated in the backtest)."""
    calendar = calendar_from_series(series)
    sequence = model_sequence(series)
    future = calendar.future_dates(horizon_days)
    status = calendar.day_status(future, future=True)
    modelled = status != DAY_CLOSED_WEEKDAY
    result = fitted.forecast(
        sequence["model_value"].to_numpy(dtype=float),
        pd.DatetimeIndex(sequence["series_date"]),
        future[modelled],
        seed,
    )
    result = result.scaled(*fitted.interval_scale).clipped()
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
    frame["model_name"] = fitted.model_name
    return frame
