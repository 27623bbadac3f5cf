"""The demand tables (python_models/demand/) of the synthetic build."""

from __future__ import annotations

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
