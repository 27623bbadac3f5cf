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


def test_real_models_are_chosen_on_older_folds_and_served_only_if_they_win_the_recent_ones(real_build):
    """Methodology: 10 rolling origins per series, half selecting, half evaluating; the served
    model is the seasonal naive unless the model chosen on the selection folds beats it on
    most evaluation folds (Olist's SARIMA won its 0.70 on one fold of three before)."""
    folds = real_build.query(
        "select fold_role, count(distinct fold_number) from ml.forecast_backtest "
        "where store = 'olist' and series_id = 'orders|overall|all' group by all order by all"
    )
    assert folds == [("evaluation", 5), ("selection", 5)]
    chosen = real_build.query(
        "select store, series_id, model_name, is_candidate, evaluation_folds_won, fold_count, mase_vs_seasonal_naive "
        "from ml.forecast_model_selection where is_chosen"
    )
    assert len(chosen) == 10
    for store, series_id, model_name, is_candidate, won, fold_count, ratio in chosen:
        assert model_name == "seasonal_naive" or (is_candidate and won > fold_count / 2 and ratio < 1), (
            store,
            series_id,
        )
    olist = {series_id: model_name for store, series_id, model_name, *_ in chosen if store == "olist"}
    assert olist["orders|overall|all"] == "seasonal_naive"


def test_real_staffing_intervals_cover_close_to_80_percent(real_build):
    """Methodology: the 80% intervals of the order series the staffing plan reads, calibrated
    on the folds before each, cover 80% +- 8 points of the evaluation days (uncalibrated,
    Olist's covered 99%)."""
    coverage = real_build.query(
        "select store, mean_coverage_80_calibrated from ml.forecast_model_selection "
        "where is_chosen and series_id = 'orders|overall|all'"
    )
    assert len(coverage) == 2
    assert all(abs(value - 0.8) <= 0.08 for _, value in coverage), coverage


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
