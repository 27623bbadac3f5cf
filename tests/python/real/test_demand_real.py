"""The demand tables (python_models/demand/) of the build on the real files."""

from __future__ import annotations


def test_real_known_extreme_orders_are_caught(real_build):
    """The two single-line orders of Online Retail's file that dwarf every other one, 80,995
    and 74,215 units, and their cancellations."""
    quantities = dict(
        real_build.query(
            "select order_key, total_quantity from marts.fct_orders where store = 'online_retail' "
            "order by abs(total_quantity) desc limit 4"
        )
    )
    assert quantities == {
        "online_retail:581483": 80995,
        "online_retail:C581484": -80995,
        "online_retail:541431": 74215,
        "online_retail:C541433": -74215,
    }
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


def test_real_chosen_model_beats_the_seasonal_naive_on_overall_series(real_build):
    rows = real_build.query(
        "select store, series_id, model_name, mase_vs_seasonal_naive from ml.forecast_model_selection "
        "where is_chosen and dimension = 'overall'"
    )
    assert len(rows) == 4
    assert all(ratio < 1 for *_, ratio in rows), rows


def test_real_black_friday_is_a_peak_and_an_anomaly(real_build):
    """Olist's Black Friday 2017 (2017-11-24) is its busiest day in marts.sales_daily, so the
    top peak day, and its orders the largest STL residual of the store's series, so the
    day anomaly of rank 1 (days are ranked by |residual score|)."""
    busiest = real_build.scalar(
        "select order_date from marts.sales_daily where store = 'olist' and dimension = 'overall' "
        "order by order_count desc limit 1"
    )
    assert str(busiest) == "2017-11-24"
    assert (
        real_build.scalar(
            "select peak_rank from ml.peak_periods where store = 'olist' and metric = 'orders' and "
            "period_type = 'day' and source = 'actual' and period_date = ?",
            [busiest],
        )
        == 1
    )
    largest_residual = real_build.query(
        "select series_id, series_date from ml.seasonality_components where store = 'olist' "
        "order by abs(residual_score) desc nulls last limit 1"
    )
    assert largest_residual == [("orders|overall|all", busiest)]
    assert (
        real_build.scalar("select anomaly_rank from ml.anomalies where entity_key = 'orders|overall|all@2017-11-24'")
        == 1
    )
