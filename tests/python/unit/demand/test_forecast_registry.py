"""Fit on schedule, score every build for the demand forecasters
(retail_warehouse.ml.demand.forecast_registry, the shared retail_warehouse.ml.registry): the
registered parameters run over newer days without being estimated again, a build with nothing
due neither backtests nor chooses again and forecasts exactly as the refit build did, and the
cadence, ml_refit, changed settings, a corrupt or foreign model and the registered forecast's
error on the newest days refit with their reason, never an error. Small made-up series, the
dbt flow mimicked with each table read back through DuckDB as the dbt models read them."""

from __future__ import annotations

import dataclasses
import pickle
import uuid
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_demand import SATURDAY_CLOSED, sales_daily_frame, shop_orders

from retail_warehouse.ml.demand import forecast_registry, forecasting, tables
from retail_warehouse.ml.demand import series as demand_series

FITTED = datetime(2026, 1, 1, 12, 0)
SETTINGS = forecast_registry.ForecastSettings(
    horizon_days=14, fold_count=4, prophet_dimensions=(), neural=False, seed=42
)
OVERALL = "orders|overall|all"
NAME = forecast_registry.model_name(OVERALL)


def make_series(days=200, start="2021-01-04", shift_from=None, shift=1.0) -> pd.DataFrame:
    """The overall series (orders, net revenue) of a shop closed on Saturdays, as the dbt models
    read ml.demand_series; orders from the date shift_from on multiplied by shift."""
    orders = shop_orders(start=start, days=days)
    if shift_from is not None:
        orders[orders.index >= pd.Timestamp(shift_from)] *= shift
    series = demand_series.build_demand_series(sales_daily_frame(orders), top_n=0, closed_weekdays=SATURDAY_CLOSED)
    return _through_duckdb(series[tables.SERIES_COLUMNS.split(", ")])


def _through_duckdb(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a dbt model reads it back from its table."""
    with duckdb.connect() as con:
        con.register("frame", frame)
        return con.sql("select * from frame").df()


@dataclasses.dataclass
class Build:
    decided: pd.DataFrame
    backtest: pd.DataFrame
    written: pd.DataFrame | None
    fitted_now: pd.DataFrame
    registry: pd.DataFrame
    forecast: pd.DataFrame


def run_build(series, previous: Build | None = None, *, now=FITTED, force=False, settings=SETTINGS) -> Build:
    """The demand forecast models of one build, in dbt's order: forecast_refit_decisions,
    forecast_backtest (delete+insert by store), forecast_model_selection, forecast_models
    (append), demand_forecast; previous: the build before (None: the tables are built anew)."""
    registry_rows = previous.registry if previous is not None else pd.DataFrame()
    decided = _through_duckdb(
        forecast_registry.decisions(
            series,
            registry_rows,
            settings=settings,
            cadence_days=30,
            mase_ratio=1.5,
            force=force,
            now=now,
            build_id=uuid.uuid4().hex,
        )
    )
    written = tables.forecast_backtest(series, decided, previous.backtest if previous else None, settings)
    backtest = previous.backtest if previous is not None else None
    if written is not None:
        kept = backtest[~backtest["store"].isin(written["store"])] if backtest is not None else None
        backtest = _through_duckdb(pd.concat([frame for frame in (kept, written) if frame is not None and len(frame)]))
    selection = _through_duckdb(tables.forecast_model_selection(backtest))
    chosen = selection[selection["is_chosen"]][tables.CHOSEN_COLUMNS.split(", ")]
    versions = (
        {}
        if previous is None
        else {(s, n): int(v) for (s, n), v in registry_rows.groupby(["store", "model_name"])["version"].max().items()}
    )
    fitted_now = tables.forecast_models(
        series, chosen, decided, versions, settings=settings, refit_everything=previous is None
    )
    registry = _through_duckdb(pd.concat([frame for frame in (registry_rows, fitted_now) if len(frame)]))
    forecast = tables.demand_forecast(series, registry, settings.horizon_days, settings.seed)
    return Build(decided, backtest, written, fitted_now, registry, forecast)


@pytest.fixture(scope="module")
def first():
    return run_build(make_series())


def _decision(build: Build, series_id=OVERALL) -> pd.Series:
    return build.decided.set_index("series_id").loc[series_id]


def decide(series, registry_rows, *, now=FITTED + timedelta(days=1), settings=SETTINGS) -> pd.DataFrame:
    """This build's decisions alone (no backtest, no fit), by series_id."""
    return forecast_registry.decisions(
        series,
        registry_rows,
        settings=settings,
        cadence_days=30,
        mase_ratio=1.5,
        force=False,
        now=now,
        build_id=uuid.uuid4().hex,
    ).set_index("series_id")


def test_registered_parameters_run_over_newer_days_without_estimating_again(monkeypatch):
    series = make_series(days=230)
    values = forecasting.model_sequence(series[series["series_id"] == OVERALL])["model_value"].to_numpy(dtype=float)
    old = values[:150]
    new = np.concatenate([old, values[150:] * 2])
    future = pd.date_range("2030-01-01", periods=12)
    fits = {
        forecasting.ETS: forecasting._ets_model(old, 6).fit(disp=False, maxiter=200),
        forecasting.SARIMA: forecasting._sarima_model(old, 6).fit(disp=False, maxiter=100),
    }
    for model_name, fit in fits.items():
        # On its own training days, the stored parameters forecast as statsmodels' fit does.
        stored = forecasting.FittedForecast(model_name, 6, tuple(np.asarray(fit.params, dtype=float)))
        point = stored.forecast(old, None, future, 42).point
        np.testing.assert_allclose(point, np.asarray(fit.forecast(len(future))), rtol=1e-9)
        # On newer days (doubled), nothing is estimated and the states follow them: the forecast
        # starts after their end, its lowest day (the Sunday, 40 orders) where the week puts it.
        monkeypatch.setattr(forecasting, "estimate", lambda *args: pytest.fail("estimated again"))
        extended = stored.forecast(new, None, future, 42)
        monkeypatch.undo()
        first_sunday = int(np.argmin(values[:6]))
        assert int(np.argmin(extended.point[:6])) == (first_sunday - len(new)) % 6, model_name
        assert int(np.argmin(point[:6])) == (first_sunday - len(old)) % 6, model_name
        if model_name == forecasting.SARIMA:
            # Its seasonal difference follows the doubled level at once (ETS's, as estimated
            # here, moves slowly: what the early-refit trigger is for).
            assert extended.point.mean() > 1.3 * point.mean()


def test_first_build_registers_every_series_with_its_backtest_figures(first):
    assert set(first.decided["action"]) == {"refit"}
    assert set(first.decided["reason"]) == {"no model registered"}
    registry = first.registry.set_index("model_name")
    assert set(registry.index) == {NAME, forecast_registry.model_name("net_revenue|overall|all")}
    assert set(registry["version"]) == {1}
    selection = tables.forecast_model_selection(first.backtest)
    for row in selection[selection["is_chosen"]].itertuples():
        registered = registry.loc[forecast_registry.model_name(row.series_id)]
        assert registered["chosen_model"] == row.model_name
        assert registered["backtest_mase"] == pytest.approx(row.mean_mase)
        fitted = forecast_registry.load(registered["model_bytes"])
        assert (fitted.params is None) == (row.model_name == forecasting.SEASONAL_NAIVE)
    assert len(first.forecast) == 2 * SETTINGS.horizon_days


def test_nothing_due_neither_backtests_nor_chooses_and_forecasts_as_the_refit(first, monkeypatch):
    monkeypatch.setattr(forecasting, "run_backtest", lambda *a, **k: pytest.fail("backtest run again"))
    monkeypatch.setattr(forecasting, "estimate", lambda *a, **k: pytest.fail("estimated again"))
    scored = run_build(make_series(), first, now=FITTED + timedelta(days=3))
    assert set(scored.decided["action"]) == {"score"}
    assert all("not due before" in reason for reason in scored.decided["reason"])
    assert scored.written is None and scored.fitted_now.empty
    pd.testing.assert_frame_equal(scored.backtest, first.backtest)
    pd.testing.assert_frame_equal(scored.forecast, first.forecast)


def test_ml_refit_refits_every_series_to_the_same_forecast(first):
    refitted = run_build(make_series(), first, now=FITTED + timedelta(days=1), force=True)
    assert set(refitted.decided["action"]) == {"refit"}
    assert all("var ml_refit is true" in reason for reason in refitted.decided["reason"])
    assert set(refitted.fitted_now["version"]) == {2}
    pd.testing.assert_frame_equal(refitted.forecast, first.forecast)


def test_due_and_changed_settings_refit(first):
    due = decide(make_series(), first.registry, now=FITTED + timedelta(days=31))
    assert set(due["action"]) == {"refit"}
    assert all(reason.startswith("due: fitted 2026-01-01 12:00, cadence 30 days") for reason in due["reason"])
    changed = decide(make_series(), first.registry, settings=dataclasses.replace(SETTINGS, fold_count=3)).loc[OVERALL]
    assert changed["action"] == "refit" and "forecast settings changed" in changed["reason"]


def _with_blob(registry: pd.DataFrame, blob: bytes) -> pd.DataFrame:
    registry = registry.copy()
    position = registry.index[registry["model_name"] == NAME][0]
    registry.at[position, "model_bytes"] = blob
    return registry


@pytest.mark.parametrize(
    "blob, error",
    [
        (b"not a pickle", "UnpicklingError"),
        (pickle.dumps({"model_name": "ets"}), "TypeError"),
        (pickle.dumps(forecasting.FittedForecast("ets", 6, (0.1, 0.2))), "cannot be loaded ("),
        (pickle.dumps(forecasting.FittedForecast("holt_winters", 6, None)), "unknown forecasting model"),
    ],
    ids=["corrupt", "foreign", "parameters_that_do_not_run", "unknown_model"],
)
def test_a_model_that_cannot_be_loaded_or_run_is_refitted_with_the_reason(first, blob, error):
    decided = decide(make_series(), _with_blob(first.registry, blob))
    assert decided.loc[OVERALL, "action"] == "refit"
    assert "registered version 1 cannot be loaded" in decided.loc[OVERALL, "reason"]
    assert error in decided.loc[OVERALL, "reason"]
    assert decided.loc["net_revenue|overall|all", "action"] == "score"


def test_a_corrupt_model_is_refitted_on_its_build_to_the_same_forecast(first):
    build = run_build(make_series(), dataclasses.replace(first, registry=_with_blob(first.registry, b"x")))
    assert build.registry.groupby("model_name")["version"].max().to_dict() == {
        NAME: 2,
        forecast_registry.model_name("net_revenue|overall|all"): 1,
    }
    assert set(build.written["series_id"]) == {OVERALL, "net_revenue|overall|all"}
    pd.testing.assert_frame_equal(build.backtest, first.backtest)
    pd.testing.assert_frame_equal(build.forecast, first.forecast)


def test_the_registered_forecast_error_on_the_newest_days_triggers_an_early_refit(first):
    # 21 more days like the ones before (the first build's 200 and 21): the registered forecast
    # holds on the 12 open days of the 14-day horizon, the model scores; its parameters run over
    # the new days to forecast after them.
    same = run_build(make_series(days=221), first, now=FITTED + timedelta(days=1))
    decision = _decision(same)
    assert decision["action"] == "score" and decision["recent_open_days"] == 12
    assert decision["recent_mase_ratio"] <= 1.5 and "<= 1.5" in decision["reason"]
    assert same.written is None and same.fitted_now.empty
    assert pd.Timestamp(same.forecast["forecast_date"].min()) == pd.Timestamp("2021-01-04") + timedelta(days=221)
    # Demand doubled on the newest days: the registered forecast is far off, refit.
    shifted = decide(make_series(days=221, shift_from="2021-07-23", shift=2.0), first.registry).loc[OVERALL]
    assert shifted["action"] == "refit" and "early refit: MASE" in shifted["reason"]
    assert shifted["recent_mase_ratio"] > 1.5
    # Two new open days are too few to measure: the model scores and says so.
    few = decide(make_series(days=203), first.registry).loc[OVERALL]
    assert few["action"] == "score" and pd.isna(few["recent_mase"]) and few["recent_open_days"] == 2
    assert "2 open days since the fit: the MASE check needs 6" in few["reason"]


def test_backtest_keeps_the_rows_of_scored_series_and_drops_vanished_ones(first):
    series = make_series()
    decided = first.decided.assign(action=np.where(first.decided["series_id"] == OVERALL, "refit", "score"))
    vanished = first.backtest[first.backtest["series_id"] == OVERALL].assign(series_id="orders|country|Gone")
    previous = _through_duckdb(pd.concat([first.backtest, vanished]))
    written = _through_duckdb(
        forecast_registry.backtest(series, decided, previous, settings=SETTINGS, columns=tables.BACKTEST_SCHEMA)
    )
    assert set(written["series_id"]) == {OVERALL, "net_revenue|overall|all"}
    kept = written[written["series_id"] == "net_revenue|overall|all"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        kept, first.backtest[first.backtest["series_id"] == "net_revenue|overall|all"].reset_index(drop=True)
    )
    # Only the vanished series changed: the store is written without it, nothing run.
    only_vanished = first.decided.assign(action="score")
    rewritten = forecast_registry.backtest(
        series, only_vanished, previous, settings=SETTINGS, columns=tables.BACKTEST_SCHEMA
    )
    assert set(rewritten["series_id"]) == {OVERALL, "net_revenue|overall|all"}
    assert (
        forecast_registry.backtest(
            series, only_vanished, first.backtest, settings=SETTINGS, columns=tables.BACKTEST_SCHEMA
        )
        is None
    )


def test_a_chosen_model_without_state_is_refitted_every_build_and_logged_so(first):
    registry = _with_blob(first.registry, pickle.dumps(forecasting.FittedForecast("prophet", 6, None)))
    position = registry.index[registry["model_name"] == NAME][0]
    registry.loc[position, ["chosen_model", "refitted_every_build"]] = ["prophet", True]
    decided = decide(make_series(), registry)
    assert decided.loc[OVERALL, "action"] == "score"
    assert "prophet is refitted whenever it forecasts" in decided.loc[OVERALL, "reason"]
    forecast_registry.STEP_RECORDS[("online_retail", NAME, "score")] = {"seconds": 2.5, "rss_peak_mb": 100.0}
    log = forecast_registry.refresh_log(decided.reset_index(), registry.iloc[0:0], registry).set_index("model_name")
    assert log.loc[NAME, "action"] == "refitted" and log.loc[NAME, "fit_seconds"] == 2.5
    assert "prophet (the chosen model of version 1) refitted on all the series" in log.loc[NAME, "reason"]
    assert log.loc[forecast_registry.model_name("net_revenue|overall|all"), "action"] == "scored"
    assert set(log["area"]) == {"demand"}
