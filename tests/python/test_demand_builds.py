"""The demand tables (schema ml) of real dbt builds: the synthetic build and the real files."""

from __future__ import annotations

import pytest

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


@pytest.mark.real_data
def test_real_known_extreme_orders_are_caught(real_build):
    rows = dict(
        real_build.query(
            "select order_key, method_count from ml.anomalies where entity_type = 'order' and order_key in "
            "('online_retail:581483', 'online_retail:C581484', 'online_retail:541431', 'online_retail:C541433')"
        )
    )
    assert set(rows) == {
        "online_retail:581483",
        "online_retail:C581484",
        "online_retail:541431",
        "online_retail:C541433",
    }
    assert all(count >= 2 for count in rows.values()), rows
    reason = real_build.scalar("select reason from ml.anomalies where order_key = 'online_retail:581483'")
    assert "80,995" in reason


@pytest.mark.real_data
def test_real_calendar_saturday_closed_and_christmas_break_forecast_zero(real_build):
    closed = real_build.query(
        "select distinct iso_day_of_week from ml.demand_series where store = 'online_retail' "
        "and day_status = 'closed_weekday'"
    )
    assert closed == [(6,)]
    christmas = real_build.query(
        "select forecast_date, day_status, point_forecast from ml.demand_forecast "
        "where store = 'online_retail' and series_id = 'orders|overall|all' "
        "and forecast_date between '2011-12-24' and '2012-01-03'"
    )
    assert len(christmas) == 11 and all(point == 0 and status != "open" for _, status, point in christmas)
    assert (
        real_build.scalar("select count(*) from ml.demand_series where store = 'olist' and day_status != 'open'") == 0
    )


@pytest.mark.real_data
def test_real_chosen_model_beats_the_seasonal_naive_on_overall_series(real_build):
    rows = real_build.query(
        "select store, series_id, model_name, mase_vs_seasonal_naive from ml.forecast_model_selection "
        "where is_chosen and dimension = 'overall'"
    )
    assert len(rows) == 4
    assert all(ratio < 1 for *_, ratio in rows), rows


@pytest.mark.real_data
def test_real_black_friday_is_a_peak_and_an_anomaly(real_build):
    assert (
        real_build.scalar(
            "select peak_rank from ml.peak_periods where store = 'olist' and metric = 'orders' and "
            "period_type = 'day' and source = 'actual' and period_date = '2017-11-24'"
        )
        == 1
    )
    assert (
        real_build.scalar("select anomaly_rank from ml.anomalies where entity_key = 'orders|overall|all@2017-11-24'")
        == 1
    )
