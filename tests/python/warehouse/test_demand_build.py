"""The demand tables (python_models/demand/) of the synthetic build."""

from __future__ import annotations

import duckdb
from helpers import area_reruns_over_copies, require_success, run_dbt_build

STORES = {"online_retail", "olist"}
HORIZON_DAYS = 28


def test_synthetic_build_has_every_demand_table_for_both_stores(synthetic_build):
    for table in (
        "demand_series",
        "forecast_backtest",
        "forecast_model_selection",
        "demand_forecast",
        "seasonality_components",
        "seasonal_profiles",
        "peak_periods",
        "resource_plan",
    ):
        stores = {row[0] for row in synthetic_build.query(f"select distinct store from ml.{table}")}
        assert stores == STORES, table
    # Every series has exactly one chosen model and a full horizon of forecast days.
    per_series = synthetic_build.query("select store, series_id, count(*) from ml.demand_forecast group by all")
    assert per_series and all(count == HORIZON_DAYS for _, _, count in per_series)
    chosen = synthetic_build.query(
        "select store, series_id, count(*) from ml.forecast_model_selection where is_chosen group by all"
    )
    assert len(chosen) == len(per_series) and all(count == 1 for *_, count in chosen)
    # The resource plan has every forecast day of each store, three 8-hour shifts a day.
    plan = synthetic_build.query(
        "select store, count(distinct plan_date), count(*) from ml.resource_plan group by store"
    )
    assert all(days == HORIZON_DAYS and rows == 3 * HORIZON_DAYS for _, days, rows in plan)


def test_synthetic_build_anomalies_cover_orders_and_customers(synthetic_build):
    types = {row for row in synthetic_build.query("select distinct store, entity_type from ml.anomalies")}
    for store in STORES:
        assert {(store, "order"), (store, "customer")} <= types


def test_demand_series_end_at_the_store_data_end(synthetic_build):
    # One "today" per store: the forecast origin is the day after marts.store_data_ends'
    # last complete day, the day labels, scores, survival and experiments end by.
    ends = synthetic_build.query(
        "select series.store, max(series.series_date), any_value(ends.data_end_date) "
        "from ml.demand_series as series inner join marts.store_data_ends as ends using (store) group by 1"
    )
    assert {store for store, *_ in ends} == STORES
    assert all(last_day == data_end for _, last_day, data_end in ends)


def test_demand_series_closes_the_weekdays_the_warehouse_defines(synthetic_build):
    """One closed-weekday definition: the demand calendar's closed weekdays are those of
    intermediate.int_closed_weekdays_detected, which the closed-weekday flag reads too."""
    defined = set(synthetic_build.query("select store, iso_day_of_week from intermediate.int_closed_weekdays_detected"))
    closed = set(
        synthetic_build.query(
            "select distinct store, iso_day_of_week from ml.demand_series where day_status = 'closed_weekday'"
        )
    )
    assert ("online_retail", 6) in defined
    assert closed == defined


ANOMALIES_ONLY = ("--select", "anomaly_refit_decisions", "anomaly_models", "anomalies", "model_refresh_log")
ANOMALIES = "select * from ml.anomalies order by all"
ANOMALY_LOG = (
    "select store, model_name, action, reason, model_version from ml.model_refresh_log where area = 'demand' "
    "and model_name like '%_anomaly_detectors' "
    "and build_id = (select any_value(build_id) from ml_registry.anomaly_refit_decisions) order by all"
)


def _query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_anomaly_detectors_are_fitted_on_schedule_and_scored_otherwise(synthetic_build, tmp_path):
    """The fixture's build registered the order and customer detectors of both stores
    (refitted: none registered); the anomaly models re-run over a copy of it (same inputs, not
    due) load and score with them, giving the same ml.anomalies; var ml_refit: true over another
    copy refits (version 2), the same detectors again; a registered model that cannot be loaded
    is refitted with the reason, the build passing. A selection does not publish, so the build
    copies are read."""
    first = _query(synthetic_build.warehouse, ANOMALIES)
    registered = _query(
        synthetic_build.warehouse, "select store, model_name, version, has_model from ml_registry.anomaly_models"
    )
    assert sorted((store, name, version) for store, name, version, _ in registered) == [
        (store, f"{entity}_anomaly_detectors", 1) for store in sorted(STORES) for entity in ("customer", "order")
    ]
    log = _query(synthetic_build.warehouse, ANOMALY_LOG)
    assert [(store, name, action) for store, name, action, *_ in log] == [
        (store, name, "refitted") for store, name, *_ in sorted(registered)
    ]
    scored, refitted = area_reruns_over_copies(synthetic_build, tmp_path, ANOMALIES_ONLY)
    log = _query(scored.build_file, ANOMALY_LOG)
    assert [(store, name, action, version) for store, name, action, _, version in log] == [
        (store, name, "scored", 1) for store, name, *_ in sorted(registered)
    ], log
    assert all("not due before" in reason for *_, reason, _ in log)
    assert _query(scored.build_file, ANOMALIES) == first

    log = _query(refitted.build_file, ANOMALY_LOG)
    assert {(action, version) for _, _, action, _, version in log} == {("refitted", 2)}
    assert all("var ml_refit is true" in reason for *_, reason, _ in log)
    # Same inputs, same seed: the refit is the same model.
    assert _query(refitted.build_file, ANOMALIES) == first

    with duckdb.connect(str(refitted.build_file)) as con:
        con.execute(
            "update ml_registry.anomaly_models set model_bytes = 'not a pickle'::blob "
            "where store = 'olist' and model_name = 'order_anomaly_detectors' and version = 2"
        )
    recovered = require_success(run_dbt_build(refitted.build_file.parent.parent, extra_args=ANOMALIES_ONLY))
    log = {
        (store, name): (action, reason, version)
        for store, name, action, reason, version in _query(recovered.build_file, ANOMALY_LOG)
    }
    action, reason, version = log[("olist", "order_anomaly_detectors")]
    assert (action, version) == ("refitted", 3) and "registered version 2 cannot be loaded" in reason
    assert {action for key, (action, *_) in log.items() if key != ("olist", "order_anomaly_detectors")} == {"scored"}
    assert _query(recovered.build_file, ANOMALIES) == first


FORECASTS_ONLY = (
    "--select",
    "forecast_refit_decisions",
    "forecast_backtest",
    "forecast_model_selection",
    "forecast_models",
    "demand_forecast",
    "model_refresh_log",
)
# What a scored build must leave as the refit build made it: the backtest and the choice (not
# run again) and the forecast (the registered parameters over the same days).
FORECAST_TABLES = {
    table: f"select * from ml.{table} order by all"
    for table in ("forecast_backtest", "forecast_model_selection", "demand_forecast")
}
FORECAST_LOG = (
    "select store, model_name, action, reason, model_version, fit_seconds from ml.model_refresh_log "
    "where area = 'demand' and model_name like 'forecast:%' "
    "and build_id = (select any_value(build_id) from ml_registry.forecast_refit_decisions) order by all"
)
REFITTED_EVERY_BUILD = ("prophet", "lstm", "gru")


def test_demand_forecasters_are_fitted_on_schedule_and_scored_otherwise(synthetic_build, tmp_path):
    """The fixture's build registered every series' forecaster (refitted: none registered); the
    forecast models re-run over a copy of it (same inputs, not due) neither backtest nor choose
    again, and forecast with the registered parameters: the same ml.forecast_backtest,
    ml.forecast_model_selection and ml.demand_forecast; var ml_refit: true over another copy
    refits (version 2) to the same tables; a registered model that cannot be loaded is
    refitted with the reason, the build passing. A selection does not publish, so the build
    copies are read."""
    first = {name: _query(synthetic_build.warehouse, sql) for name, sql in FORECAST_TABLES.items()}
    registered = _query(
        synthetic_build.warehouse, "select store, model_name, version, chosen_model from ml_registry.forecast_models"
    )
    series = _query(
        synthetic_build.warehouse, "select distinct store, 'forecast:' || series_id from ml.demand_forecast"
    )
    assert sorted((store, name) for store, name, *_ in registered) == sorted(series)
    assert {version for _, _, version, _ in registered} == {1}
    chosen = {(store, name): model for store, name, _, model in registered}
    log = _query(synthetic_build.warehouse, FORECAST_LOG)
    assert [(store, name, action) for store, name, action, *_ in log] == [
        (store, name, "refitted") for store, name in sorted(chosen)
    ]

    scored, refitted = area_reruns_over_copies(synthetic_build, tmp_path, FORECASTS_ONLY)
    log = _query(scored.build_file, FORECAST_LOG)
    # Scored with version 1; a chosen model without a state to extend is refitted to forecast.
    assert [(store, name, action, version) for store, name, action, _, version, _ in log] == [
        (store, name, "refitted" if chosen[(store, name)] in REFITTED_EVERY_BUILD else "scored", 1)
        for store, name in sorted(chosen)
    ], log
    assert all("not due before" in reason for *_, reason, _, _ in log)
    assert _query(scored.build_file, "select max(version) from ml_registry.forecast_models") == [(1,)]
    for name, sql in FORECAST_TABLES.items():
        assert _query(scored.build_file, sql) == first[name], name

    log = _query(refitted.build_file, FORECAST_LOG)
    assert {(action, version) for _, _, action, _, version, _ in log} == {("refitted", 2)}
    assert all("var ml_refit is true" in reason and seconds > 0 for *_, reason, _, seconds in log)
    # Same inputs, same seed: the refit is the same backtest, choice and forecast.
    for name, sql in FORECAST_TABLES.items():
        assert _query(refitted.build_file, sql) == first[name], name

    corrupted = sorted(chosen)[0]
    with duckdb.connect(str(scored.build_file)) as con:
        con.execute(
            "update ml_registry.forecast_models set model_bytes = 'not a pickle'::blob "
            "where store = ? and model_name = ?",
            list(corrupted),
        )
    recovered = require_success(run_dbt_build(scored.build_file.parent.parent, extra_args=FORECASTS_ONLY))
    log = {
        (store, name): (action, reason, version)
        for store, name, action, reason, version, _ in _query(recovered.build_file, FORECAST_LOG)
    }
    action, reason, version = log[corrupted]
    assert (action, version) == ("refitted", 2) and "registered version 1 cannot be loaded" in reason
    assert {version for key, (*_, version) in log.items() if key != corrupted} == {1}
    for name, sql in FORECAST_TABLES.items():
        assert _query(recovered.build_file, sql) == first[name], name
