"""Fit on schedule, score every build: the demand forecasters, persisted in
ml_registry.forecast_models (retail_warehouse.ml.registry holds the shared parts).

One model per store and series (model_name `forecast:<series_id>`): the model the backtest chose
for the series (forecast_model_selection), estimated on all the series' open days, kept as a
forecasting.FittedForecast: its parameters (ETS: smoothing parameters, damping and initial
states; SARIMA: the AR, MA and seasonal MA terms; the seasonal naive has none) and the interval
scales calibrated in the backtest. ml.demand_forecast runs those parameters over the series as
it is on this build, newer days included, without re-estimating them, and forecasts the
horizon. Prophet, the LSTM and the GRU have no state that follows newer days: when one of them is
a series' chosen model, it is refitted on all the series when it forecasts, on every build (the
backtest and the choice still run only on a refit), and ml.model_refresh_log says so.

`decisions` refits a series' model (shared registry.decide: the backtest, the choice and the
estimate all run again) when var ml_refit is true; none is registered or it cannot be loaded
(corrupt, another class, parameters that do not run); the input schema or a library version
changed; the forecast settings changed (horizon, folds, Prophet's dimensions, ml_neural,
ml_seed); it is due (fitted_at + var demand_refit_days); or the early-refit trigger fires: on
the open days after its training window (up to the horizon, at least a season of them), the
registered model's forecast made at the end of that window has a MASE above var
demand_refit_mase_ratio x its backtest MASE (the mean over the evaluation folds of the
choice). Otherwise the build scores with it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.common import log_progress, measured_model, typed_table
from retail_warehouse.ml.demand import forecasting
from retail_warehouse.ml.demand.series import DAY_OPEN

AREA = "demand"
MODEL = "forecast_registry"
SERIES_KEYS = ["store", "series_id", "metric", "dimension", "dimension_value"]
LIBRARIES = ("statsmodels", "numpy", "scipy", "pandas", "prophet", "torch")
CADENCE_VAR = "demand_refit_days"
MODEL_PREFIX = "forecast:"

# The figures of the steps of this process, for ml.model_refresh_log:
# (store, model_name, step) -> the measured_model record.
STEP_RECORDS: dict[tuple[str, str, str], dict] = {}


def model_name(series_id: str) -> str:
    """The registry's model_name of a series' forecaster."""
    return f"{MODEL_PREFIX}{series_id}"


def library_versions() -> str:
    return shared.library_versions(LIBRARIES)


@dataclass(frozen=True)
class ForecastSettings:
    """The settings the backtest, the choice and the fit read (the demand_* vars, ml_neural,
    ml_seed): a change refits."""

    horizon_days: int
    fold_count: int
    prophet_dimensions: tuple[str, ...]
    neural: bool
    seed: int

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def load(blob: bytes) -> forecasting.FittedForecast:
    """The registered model; an error when it cannot be loaded or names no known model."""
    fitted = shared.load(blob, forecasting.FittedForecast)
    if fitted.model_name not in forecasting.MODELS:
        raise ValueError(f"unknown forecasting model {fitted.model_name!r}")
    return fitted


def series_groups(series: pd.DataFrame):
    """(store, series_id, rows) of every series of demand_series, sorted, each by date."""
    for (store, series_id), rows in series.groupby(["store", "series_id"], sort=True):
        yield store, series_id, rows.sort_values("series_date").reset_index(drop=True)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


DECISION_COLUMNS = {
    "build_id": "object",
    "decided_at": "datetime64[us]",
    "store": "object",
    "model_name": "object",
    "series_id": "object",
    "action": "object",
    "reason": "object",
    "registered_version": "Int64",
    "registered_fitted_at": "datetime64[us]",
    "registered_model": "object",
    "refit_due_at": "datetime64[us]",
    "cadence_days": "Int64",
    "cadence_var": "object",
    "backtest_mase": "float64",
    "recent_open_days": "Int64",
    "recent_mase": "float64",
    "recent_mase_ratio": "float64",
    "mase_ratio_threshold": "float64",
    "series_days": "int64",
    "training_window_start": "datetime64[us]",
    "training_window_end": "datetime64[us]",
    "forecast_settings": "object",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "decision_seconds": "float64",
    "decision_peak_mb": "float64",
}


@dataclass(frozen=True)
class RecentError:
    """The registered model's forecast from the end of its training window against the open
    days since (up to the horizon): their count and its MASE (None when not measured)."""

    open_days: int
    mase: float | None


def recent_error(
    rows: pd.DataFrame, fitted: forecasting.FittedForecast, training_end, horizon_days: int, seed: int
) -> RecentError:
    """The registered model run over the series up to its training window's end (its
    parameters, not re-estimated) and forecast over the days after it, up to horizon_days
    calendar days: its MASE on their open days (the scale: the seasonal naive's in-sample error
    up to the window's end, as in the backtest). It also proves the model runs: a model that
    cannot forecast raises. The MASE is measured only with at least a season of open days
    (fewer are noise) and for a model with a state to extend (Prophet and the networks would be
    refitted for it: they are refitted every build anyway)."""
    sequence = forecasting.model_sequence(rows)
    dates = pd.DatetimeIndex(sequence["series_date"])
    end = pd.Timestamp(training_end)
    history = np.asarray(dates <= end)
    recent = np.asarray((dates > end) & (dates <= end + pd.Timedelta(days=horizon_days)))
    is_open = (sequence["day_status"] == DAY_OPEN).to_numpy()
    evaluated = recent & is_open
    if not fitted.is_extendable:
        return RecentError(int(evaluated.sum()), None)
    y = sequence["model_value"].to_numpy(dtype=float)[history]
    # At least one position is forecast, so a model that cannot run fails here.
    future = dates[recent] if recent.any() else pd.DatetimeIndex([end + pd.Timedelta(days=1)])
    forecast = fitted.forecast(y, dates[history], future, seed).clipped()
    if evaluated.sum() < fitted.season_length:
        return RecentError(int(evaluated.sum()), None)
    scale = forecasting.seasonal_naive_scale(y, fitted.season_length)
    actual = sequence["actual_value"].to_numpy(dtype=float)[evaluated]
    mase = forecasting.accuracy(actual, forecast.point[is_open[recent]], scale)["mase"]
    return RecentError(int(evaluated.sum()), None if not np.isfinite(mase) else float(mase))


def _decision_row(rows, registered_row, settings, cadence, mase_ratio, force, now) -> dict:
    libraries = library_versions()
    schema_hash = shared.input_schema_hash(rows)
    dates = pd.to_datetime(rows["series_date"])
    registered, fitted, load_error, error = None, None, None, None
    triggers, checks = [], []
    backtest_mase = None
    if registered_row is not None:
        registered = shared.as_registered(registered_row)
        backtest_mase = registered_row["backtest_mase"]
        backtest_mase = None if backtest_mase is None or pd.isna(backtest_mase) else float(backtest_mase)
        try:
            fitted = load(registered_row["model_bytes"])
            error = recent_error(
                rows, fitted, registered_row["training_window_end"], settings.horizon_days, settings.seed
            )
        except Exception as failure:  # a model that cannot be loaded is refitted, never a failed build
            load_error = shared.load_error(failure)
        if registered_row["forecast_settings"] != settings.as_json():
            triggers.append(
                f"forecast settings changed ({registered_row['forecast_settings']} -> {settings.as_json()})"
            )
    ratio = None
    if error is None:
        pass
    elif not fitted.is_extendable:
        checks.append(f"{fitted.model_name} is refitted whenever it forecasts: no error check")
    elif error.mase is None:
        checks.append(f"{error.open_days} open days since the fit: the MASE check needs {fitted.season_length}")
    elif not backtest_mase:
        checks.append(f"MASE {error.mase:.3f} on the {error.open_days} open days since the fit: no backtest MASE")
    else:
        ratio = error.mase / backtest_mase
        measured = (
            f"MASE {error.mase:.3f} on the {error.open_days} open days since the fit = {ratio:.2f} x its backtest "
            f"MASE {backtest_mase:.3f}"
        )
        if ratio > mase_ratio:
            triggers.append(f"early refit: {measured} > {mase_ratio}")
        else:
            checks.append(f"{measured} <= {mase_ratio}")
    decision = shared.decide(
        registered,
        now=now,
        cadence=cadence,
        schema_hash=schema_hash,
        libraries=libraries,
        force=force,
        load_error=load_error,
        triggers=tuple(triggers),
        checks=tuple(checks),
    )
    return {
        "decided_at": now,
        "series_id": rows["series_id"].iloc[0],
        **shared.decision_fields(registered, decision, cadence, CADENCE_VAR),
        "registered_model": registered_row["chosen_model"] if registered_row is not None else None,
        "backtest_mase": backtest_mase,
        "recent_open_days": error.open_days if error is not None else None,
        "recent_mase": error.mase if error is not None else None,
        "recent_mase_ratio": ratio,
        "mase_ratio_threshold": mase_ratio,
        "series_days": len(rows),
        "training_window_start": dates.min(),
        "training_window_end": dates.max(),
        "forecast_settings": settings.as_json(),
        "input_fingerprint": shared.input_fingerprint(rows),
        "input_schema_hash": schema_hash,
        "library_versions": libraries,
    }


def decisions(
    series: pd.DataFrame,
    previous_registry: pd.DataFrame,
    *,
    settings: ForecastSettings,
    cadence_days: int,
    mase_ratio: float,
    force: bool,
    now: datetime | None = None,
    build_id: str | None = None,
) -> pd.DataFrame:
    """ml_registry.forecast_refit_decisions: refit or score, per store and series (series: the
    rows of ml.demand_series, tables.SERIES_COLUMNS)."""
    now = now or _now()
    by_key = {(store, model_name(series_id)): rows for store, series_id, rows in series_groups(series)}

    def decide(store, name, registered_row):
        return _decision_row(by_key[(store, name)], registered_row, settings, cadence_days, mase_ratio, force, now)

    return shared.decision_table(
        [(store, name, name) for store, name in by_key],
        previous_registry,
        decide,
        table="forecast_refit_decisions",
        log_as=MODEL,
        columns=DECISION_COLUMNS,
        step_records=STEP_RECORDS,
        build_id=build_id or shared.BUILD_ID,
    )


def refit_series(decided: pd.DataFrame) -> set[tuple[str, str]]:
    """(store, series_id) of the series this build refits."""
    refit = decided[decided["action"] == "refit"]
    return set(zip(refit["store"], refit["series_id"]))


def backtest(
    series: pd.DataFrame,
    decided: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    settings: ForecastSettings,
    columns: dict[str, str],
    log=None,
) -> pd.DataFrame | None:
    """ml.forecast_backtest's rows to write on this build (delete+insert by store): the
    rolling-origin backtest of the series this build refits (every series when the table is
    built anew: previous None) with the rows of the other series of their stores as the
    previous build left them (previous: the table's rows). A store whose series are all scored
    and unchanged is not written (None when no store is): its rows stay those of its last refit.
    A series no longer in demand_series loses its rows. Each series' backtest is measured as
    the fit step of its model."""
    current = {(store, series_id) for store, series_id, _ in series_groups(series)}
    if previous is None:
        to_run = current
        stores = {store for store, _ in current}
        kept = None
    else:
        to_run = refit_series(decided) & current
        previous_keys = set(zip(previous["store"], previous["series_id"]))
        stores = {store for store, _ in to_run} | {store for store, _ in previous_keys - current}
        if not stores:
            return None
        keys = pd.MultiIndex.from_arrays([previous["store"], previous["series_id"]])
        kept = previous[previous["store"].isin(stores).to_numpy() & keys.isin(list(current - to_run))]
    frames = [] if kept is None else [kept]
    for store, series_id, rows in series_groups(series):
        if (store, series_id) not in to_run:
            continue
        name = model_name(series_id)
        with measured_model(f"forecast_backtest[{store}, {name}]") as record:
            frames.append(
                forecasting.run_backtest(
                    rows,
                    horizon_days=settings.horizon_days,
                    fold_count=settings.fold_count,
                    seed=settings.seed,
                    prophet_dimensions=settings.prophet_dimensions,
                    neural=settings.neural,
                    log=log,
                )
            )
        STEP_RECORDS[(store, name, "fit")] = record
    return typed_table(frames, columns)


REGISTRY_COLUMNS = {
    "store": "object",
    "model_name": "object",
    "version": "int64",
    **{key: "object" for key in SERIES_KEYS[1:]},
    "chosen_model": "object",
    "fitted_at": "datetime64[us]",
    "build_id": "object",
    "refit_reason": "object",
    "training_window_start": "datetime64[us]",
    "training_window_end": "datetime64[us]",
    "training_days": "int64",
    "season_length": "int64",
    "params": "object",
    "refitted_every_build": "bool",
    "backtest_fold_count": "Int64",
    "backtest_mase": "float64",
    "backtest_mase_vs_seasonal_naive": "float64",
    "interval_scale_80": "float64",
    "interval_scale_95": "float64",
    "choice_reason": "object",
    "forecast_settings": "object",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "fit_seconds": "float64",
    "fit_peak_mb": "float64",
    "model_format": "object",
    "model_bytes": "object",
}


def fit_registered(
    series: pd.DataFrame,
    chosen: pd.DataFrame,
    decided: pd.DataFrame,
    previous_versions: dict[tuple[str, str], int],
    *,
    settings: ForecastSettings,
    refit_everything: bool,
) -> pd.DataFrame:
    """ml_registry.forecast_models rows of the models fitted on this build: the chosen model
    (chosen: the is_chosen rows of ml.forecast_model_selection) of each series the decision
    says to refit (every one when the registry is built anew), estimated on all its days."""
    decided = decided.set_index(["store", "series_id"])
    chosen = chosen.set_index(["store", "series_id"])
    rows = []
    for store, series_id, frame in series_groups(series):
        key = (store, series_id)
        if key not in decided.index:
            continue
        decision = decided.loc[key]
        if decision["action"] != "refit" and not refit_everything:
            continue
        name = model_name(series_id)
        if key not in chosen.index:
            log_progress(MODEL, f"{store} {name}: no backtest result, nothing registered")
            continue
        choice = chosen.loc[key]
        reason = (
            decision["reason"] if decision["action"] == "refit" else "registry built anew (first or full-refresh build)"
        )
        with measured_model(f"forecast_models[{store}, {name}]") as record:
            fitted = forecasting.fit_chosen(
                frame, choice["model_name"], (choice["interval_scale_80"], choice["interval_scale_95"])
            )
            blob = shared.dump(fitted)
        shared.add_score_record(STEP_RECORDS, store, [name], record, step="fit")
        spent = STEP_RECORDS[(store, name, "fit")]
        dates = pd.to_datetime(frame["series_date"])
        rows.append(
            {
                "store": store,
                "model_name": name,
                "version": previous_versions.get((store, name), 0) + 1,
                **{column: frame[column].iloc[0] for column in SERIES_KEYS[1:]},
                "chosen_model": fitted.model_name,
                "fitted_at": decision["decided_at"],
                "build_id": decision["build_id"],
                "refit_reason": reason,
                "training_window_start": dates.min(),
                "training_window_end": dates.max(),
                "training_days": len(forecasting.model_sequence(frame)),
                "season_length": fitted.season_length,
                "params": json.dumps(None if fitted.params is None else [round(p, 10) for p in fitted.params]),
                "refitted_every_build": not fitted.is_extendable,
                "backtest_fold_count": choice["fold_count"],
                "backtest_mase": choice["mean_mase"],
                "backtest_mase_vs_seasonal_naive": choice["mase_vs_seasonal_naive"],
                "interval_scale_80": fitted.interval_scale[0],
                "interval_scale_95": fitted.interval_scale[1],
                "choice_reason": choice["choice_reason"],
                "forecast_settings": settings.as_json(),
                "input_fingerprint": decision["input_fingerprint"],
                "input_schema_hash": decision["input_schema_hash"],
                "library_versions": decision["library_versions"],
                "fit_seconds": spent["seconds"],
                "fit_peak_mb": spent["rss_peak_mb"],
                "model_format": shared.MODEL_FORMAT,
                "model_bytes": blob,
            }
        )
        log_progress(MODEL, f"{store} {name}: registered version {rows[-1]['version']}, {fitted.model_name} ({reason})")
    return shared.registry_frame(rows, REGISTRY_COLUMNS)


def forecast(
    series: pd.DataFrame, registry_rows: pd.DataFrame, *, horizon_days: int, seed: int, log=None
) -> list[pd.DataFrame]:
    """Every series forecast by the newest registered model of it (registry_rows: store,
    model_name, version, model_bytes; registry.LATEST_MODELS), each forecast measured as the
    model's score step. A series without a registered model gets none, logged (the decisions
    refit a model that cannot be loaded: this happens only when its refit found no backtest
    result)."""
    latest = shared.latest_versions(registry_rows, ("store", "model_name"))
    blobs = dict(zip(zip(latest["store"], latest["model_name"]), latest["model_bytes"])) if len(latest) else {}
    frames = []
    for store, series_id, rows in series_groups(series):
        name = model_name(series_id)
        try:
            fitted = load(blobs[(store, name)])
        except Exception as error:
            if log is not None:
                log(f"{store} {series_id}: no registered model that loads ({shared.load_error(error)}), no forecast")
            continue
        with measured_model(f"demand_forecast[{store}, {name}]") as record:
            frame = forecasting.forecast_series(rows, fitted, horizon_days=horizon_days, seed=seed)
        STEP_RECORDS[(store, name, "score")] = record
        if log is not None:
            log(f"{store} {series_id}: {fitted.model_name} ({record['seconds']} s)")
        frames.append(frame.assign(**{key: rows[key].iloc[0] for key in SERIES_KEYS}))
    return frames


def refresh_log(decided: pd.DataFrame, fitted_now: pd.DataFrame, registry_rows: pd.DataFrame) -> pd.DataFrame:
    """ml.model_refresh_log rows of this build for the forecasters. A scored series whose
    model has no state to extend (refitted_every_build: Prophet, LSTM, GRU) was refitted by
    ml.demand_forecast: logged as refitted, with why, its forecast's time as the fit."""
    log = shared.refresh_log(decided, fitted_now, registry_rows, STEP_RECORDS, area=AREA, logged_at=_now())
    if log.empty or registry_rows.empty:
        return log
    latest = shared.latest_versions(registry_rows, ("store", "model_name")).set_index(["store", "model_name"])
    for position, row in log.iterrows():
        key = (row["store"], row["model_name"])
        if row["action"] != "scored" or key not in latest.index or not latest.loc[key, "refitted_every_build"]:
            continue
        log.loc[position, "action"] = "refitted"
        log.loc[position, "reason"] = (
            f"{latest.loc[key, 'chosen_model']} (the chosen model of version {row['model_version']}) refitted on all "
            f"the series to forecast: it has no state that follows newer days; backtest and choice kept ({row['reason']})"
        )
        log.loc[position, "fit_seconds"] = row["score_seconds"]
    return log
