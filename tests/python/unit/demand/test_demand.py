"""Unit tests of the demand package functions: calendar, forecasting and backtest,
seasonality and peaks, staffing and capacity (small data made here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml.demand import capacity, forecasting, seasonality, tables
from retail_warehouse.ml.demand import series as demand_series
from retail_warehouse.ml.demand.series import DAY_CLOSED_WEEKDAY, DAY_CLOSURE, DAY_OPEN

WEEKLY_PATTERN = {1: 100.0, 2: 110.0, 3: 120.0, 4: 130.0, 5: 90.0, 6: 0.0, 7: 40.0}
# The closed weekdays the warehouse gives the demand series (int_closed_weekdays_detected).
SATURDAY_CLOSED = {"online_retail": (6,)}


def shop_orders(start="2021-01-04", days=280, seed=1, closures=(), trickle_days=0) -> pd.Series:
    """Daily orders of a shop closed on Saturdays, with noise, optional closure dates and a
    leading trickle of test orders (1 a day) before the start."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    values = np.array([WEEKLY_PATTERN[d.isoweekday()] for d in dates]) + rng.normal(0, 5, days)
    values = np.where(np.array([d.isoweekday() for d in dates]) == 6, 0.0, np.round(np.maximum(values, 1)))
    orders = pd.Series(values, index=dates)
    orders[orders.index.isin(pd.to_datetime(list(closures)))] = 0.0
    if trickle_days:
        trickle = pd.Series(1.0, index=pd.date_range(end=dates[0] - pd.Timedelta(days=60), periods=trickle_days))
        orders = pd.concat([trickle, orders])
    return orders


def sales_daily_frame(orders: pd.Series, store="online_retail") -> pd.DataFrame:
    overall = pd.DataFrame(
        {
            "store": store,
            "order_date": orders.index,
            "dimension": "overall",
            "dimension_value": "all",
            "order_count": orders.to_numpy(),
            "net_revenue_amount": orders.to_numpy() * 20.0,
        }
    )
    countries = []
    for country, share in (("United Kingdom", 0.8), ("France", 0.15), ("Spain", 0.05)):
        countries.append(
            overall.assign(
                dimension="country", dimension_value=country, order_count=np.round(overall["order_count"] * share)
            )
        )
    frame = pd.concat([overall, *countries], ignore_index=True)
    # Days without sales have no row in sales_daily.
    return frame[frame["order_count"] > 0]


def test_calendar_closes_the_given_weekday_finds_closures_and_active_span():
    # A week's break 2021-08-02 (Mon) to 08-08 (Sun), Saturday 08-07 inside; one holiday.
    break_days = [d.strftime("%Y-%m-%d") for d in pd.date_range("2021-08-02", "2021-08-08") if d.isoweekday() != 6]
    orders = shop_orders(closures=("2021-04-05", *break_days), trickle_days=5)
    calendar = demand_series.store_calendar(orders[orders > 0], (6,))
    assert calendar.closed_weekdays == (6,)
    assert calendar.season_length == 6
    assert calendar.start == pd.Timestamp("2021-01-04")  # the leading trickle is left out
    assert set(calendar.closure_dates) == {pd.Timestamp(d) for d in ("2021-04-05", *break_days)}
    assert calendar.break_dates() == list(pd.date_range("2021-08-02", "2021-08-08"))
    future = pd.date_range("2022-04-04", "2022-08-10")
    status = dict(zip(future, calendar.day_status(future, future=True)))
    assert status[pd.Timestamp("2022-04-05")] == DAY_OPEN  # a single holiday is not projected
    assert status[pd.Timestamp("2022-08-06")] == DAY_CLOSED_WEEKDAY  # a Saturday in 2022
    for day in ("2022-08-02", "2022-08-07", "2022-08-08"):  # the break's month-days, Sunday too
        assert status[pd.Timestamp(day)] == DAY_CLOSURE
    assert status[pd.Timestamp("2022-08-09")] == DAY_OPEN
    assert demand_series.store_calendar(pd.Series(dtype=float), (6,)) is None


def test_closed_weekdays_are_the_warehouse_definition_not_recomputed():
    """The series closes exactly the weekdays it is given (int_closed_weekdays_detected, the
    definition the closed-weekday flag reads): a Saturday it is not told about is an open
    weekday without orders (closures, imputed); a weekday it is told about keeps its sales in
    actual_value but leaves the models (the flagged sales on a closed weekday)."""
    orders = shop_orders(days=70)
    frame = sales_daily_frame(orders)
    overall = "orders|overall|all"
    not_told = demand_series.build_demand_series(frame, top_n=0, closed_weekdays={})
    not_told = not_told[not_told["series_id"] == overall]
    saturdays = not_told[not_told["iso_day_of_week"] == 6]
    assert (saturdays["day_status"] == DAY_CLOSURE).all() and (not_told["season_length"] == 7).all()
    sundays_too = demand_series.build_demand_series(frame, top_n=0, closed_weekdays={"online_retail": (6, 7)})
    sundays_too = sundays_too[sundays_too["series_id"] == overall]
    sundays = sundays_too[sundays_too["iso_day_of_week"] == 7]
    assert (sundays["day_status"] == DAY_CLOSED_WEEKDAY).all() and sundays["model_value"].isna().all()
    assert (sundays["actual_value"] > 0).all() and (sundays_too["season_length"] == 5).all()
    # A store told it is closed on every weekday keeps its busiest weekday open.
    every_day = demand_series.store_calendar(orders[orders > 0], tuple(range(1, 8)))
    assert every_day.closed_weekdays == (1, 2, 3, 5, 6, 7)


def test_impute_closures_uses_the_same_weekday_before():
    season = 3
    values = np.array([1, 2, 3, 10, 20, 30, 0, 40, 50], dtype=float)
    status = np.array([DAY_OPEN] * 6 + [DAY_CLOSURE] + [DAY_OPEN] * 2)
    imputed = demand_series.impute_closures(values, status, season)
    assert imputed[6] == 5.5  # median of positions 0 and 3
    assert np.array_equal(imputed[[0, 1, 2, 3, 4, 5, 7, 8]], values[[0, 1, 2, 3, 4, 5, 7, 8]])
    first = np.array([DAY_CLOSURE] + [DAY_OPEN] * 8)
    # No earlier open Monday: the next ones (positions 3 and 6, values 10 and 0).
    assert demand_series.impute_closures(values, first, season)[0] == 5.0


def test_build_demand_series_complete_calendar_and_top_values():
    orders = shop_orders(closures=("2021-04-05",))
    series = demand_series.build_demand_series(sales_daily_frame(orders), top_n=2, closed_weekdays=SATURDAY_CLOSED)
    assert sorted(series["series_id"].unique()) == [
        "net_revenue|overall|all",
        "orders|country|France",
        "orders|country|United Kingdom",
        "orders|overall|all",
    ]
    overall = series[series["series_id"] == "orders|overall|all"]
    assert len(overall) == len(orders)  # every calendar day, also those without a row
    saturdays = overall[overall["iso_day_of_week"] == 6]
    assert (saturdays["day_status"] == DAY_CLOSED_WEEKDAY).all() and saturdays["model_value"].isna().all()
    closure = overall[overall["series_date"] == pd.Timestamp("2021-04-05").date()].iloc[0]
    assert closure["day_status"] == DAY_CLOSURE and closure["actual_value"] == 0 and closure["model_value"] > 50
    assert demand_series.build_demand_series(
        sales_daily_frame(orders).iloc[0:0], top_n=2, closed_weekdays=SATURDAY_CLOSED
    ).empty


def test_metrics_on_known_values():
    actual = np.array([10.0, 0.0, 5.0])
    predicted = np.array([8.0, 0.0, 10.0])
    result = forecasting.accuracy(actual, predicted, scale=2.0)
    assert result["mae"] == pytest.approx(7 / 3)
    assert result["rmse"] == pytest.approx(np.sqrt(29 / 3))
    assert result["smape"] == pytest.approx(100 * (4 / 18 + 0 + 10 / 15) / 3)
    assert result["mase"] == pytest.approx(7 / 6)
    assert forecasting.seasonal_naive_scale(np.array([1.0, 2, 3, 1, 2, 3]), 3) == 0
    assert np.isnan(forecasting.accuracy(actual, predicted, scale=0.0)["mase"])


def test_seasonal_naive_repeats_the_last_season_with_widening_intervals():
    y = np.array([1.0, 2, 3, 1, 2, 4])
    result = forecasting.seasonal_naive(y, steps=6, season_length=3)
    assert np.array_equal(result.point, [1, 2, 4, 1, 2, 4])
    width = result.upper_95 - result.lower_95
    assert width[3] > width[0] > 0
    assert np.all(result.lower_95 <= result.lower_80) and np.all(result.upper_80 <= result.upper_95)


@pytest.mark.parametrize("model_name", ["ets", "sarima", "prophet", "lstm", "gru"])
def test_models_learn_a_weekly_pattern(model_name):
    rng = np.random.default_rng(3)
    days = 140
    dates = pd.date_range("2021-01-04", periods=days, freq="D")
    pattern = np.array([100, 110, 120, 130, 90, 40, 60], dtype=float)
    y = pattern[np.arange(days) % 7] + rng.normal(0, 3, days)
    future = pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=14, freq="D")
    result = forecasting.fit_forecast(model_name, y, dates, future, 7, seed=42)
    truth = pattern[np.arange(days, days + 14) % 7]
    assert np.mean(np.abs(result.point - truth)) < 10
    assert np.all(result.lower_95 <= result.point + 1e-9) and np.all(result.point <= result.upper_95 + 1e-9)
    again = forecasting.fit_forecast(model_name, y, dates, future, 7, seed=42)
    assert np.array_equal(result.upper_95, again.upper_95)  # seeded: same input, same output


@pytest.mark.parametrize("model_name", forecasting.NEURAL_MODELS)
def test_recurrent_networks_learn_a_planted_season_better_than_the_mean(model_name):
    """A 6-day season with a slow trend, as Online Retail's open days: the network's forecast
    of four seasons is far closer to the truth than the training mean is."""
    rng = np.random.default_rng(5)
    days, steps = 180, 24
    pattern = np.array([30, 80, 50, 120, 60, 10], dtype=float)
    positions = np.arange(days + steps)
    truth = pattern[positions % 6] + 0.1 * positions
    y = truth[:days] + rng.normal(0, 4, days)
    dates = pd.date_range("2021-01-04", periods=days, freq="D")
    future = pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=steps, freq="D")
    result = forecasting.fit_forecast(model_name, y, dates, future, 6, seed=42)
    network_error = np.mean(np.abs(result.point - truth[days:]))
    mean_error = np.mean(np.abs(np.mean(y) - truth[days:]))
    assert network_error < 0.3 * mean_error, (network_error, mean_error)


def test_recurrent_networks_refuse_a_series_too_short_for_their_windows():
    with pytest.raises(ValueError, match="windows"):
        forecasting.fit_forecast(
            "lstm",
            np.arange(30.0),
            pd.date_range("2021-01-04", periods=30),
            pd.date_range("2021-02-03", periods=3),
            7,
            seed=1,
        )


def test_neural_models_are_fitted_only_when_asked():
    assert forecasting.models_for("overall", 200, 7, ("overall",))[-1] == "prophet"
    assert forecasting.models_for("country", 200, 7, ("overall",), neural=True)[-2:] == ["lstm", "gru"]
    assert forecasting.models_for("country", 20, 7, ("overall",), neural=True) == ["seasonal_naive"]


def test_prophet_runs_the_cmdstan_build_of_its_pinned_wheel():
    """Prophet's fit depends on the compiled Stan model and cmdstan it runs: the build must be
    the one bundled in the prophet wheel pinned by requirements.lock (prophet 1.5.0, cmdstan
    2.37.0), not a cmdstan found elsewhere on the machine."""
    from pathlib import Path

    import cmdstanpy
    import prophet

    dates = pd.date_range("2021-01-04", periods=28, freq="D")
    forecasting.prophet(np.arange(28.0) % 7, dates, pd.date_range("2021-02-01", periods=2), seed=1)
    cmdstan = Path(cmdstanpy.cmdstan_path())
    assert cmdstan.parent == Path(prophet.__file__).parent / "stan_model"
    assert cmdstan.name == "cmdstan-2.37.0" and prophet.__version__ == "1.5.0"


def test_backtest_evaluates_open_days_and_selection_prefers_lower_mase():
    orders = shop_orders(days=200, closures=("2021-06-07",))
    series = demand_series.build_demand_series(sales_daily_frame(orders), top_n=0, closed_weekdays=SATURDAY_CLOSED)
    overall = series[series["series_id"] == "orders|overall|all"]
    rows = forecasting.backtest_series(overall, horizon_days=14, fold_count=2, seed=42, prophet_dimensions=())
    frame = pd.DataFrame(rows)
    assert set(frame["model_name"]) == {"seasonal_naive", "ets", "sarima"}
    assert set(frame["fold_number"]) == {1, 2}
    assert dict(zip(frame["fold_number"], frame["fold_role"])) == {1: "evaluation", 2: "selection"}
    # 14 calendar days hold 12 open days (two Saturdays closed).
    assert (frame["evaluated_days"] == 12).all()
    assert (frame["mase"] > 0).all() and (frame["smape"] <= 200).all()
    selection = forecasting.select_models(
        frame.assign(store="s", series_id="x", metric="orders", dimension="overall", dimension_value="all")
    )
    candidate = selection[selection["is_candidate"]].iloc[0]
    assert candidate["selection_mean_mase"] == selection["selection_mean_mase"].min()
    assert selection["is_chosen"].sum() == 1
    naive = selection[selection["model_name"] == "seasonal_naive"].iloc[0]
    assert naive["mase_vs_seasonal_naive"] == 1 and not naive["beats_seasonal_naive"]
    tie = fold_table({"sarima": [1.0, 1.0], "seasonal_naive": [1.0, 1.0]})
    assert forecasting.select_models(tie).query("is_chosen")["model_name"].iloc[0] == "seasonal_naive"


def fold_table(mase_by_model: dict[str, list[float]]) -> pd.DataFrame:
    """A backtest of one series: per model its MASE on folds 1, 2, ... (fold_count = their
    number: the more recent half evaluates, the rest selects)."""
    rows = []
    for model_name, values in mase_by_model.items():
        for fold, mase in enumerate(values, start=1):
            rows.append(
                {
                    "model_name": model_name,
                    "fold_number": fold,
                    "fold_role": forecasting.fold_role(fold, len(values)),
                    "mae": mase,
                    "rmse": mase,
                    "smape": mase,
                    "mase": mase,
                    "coverage_80": 0.8,
                    "coverage_95": 0.95,
                    "interval_scale_80": 1.0,
                    "interval_scale_95": 1.0,
                    "coverage_80_calibrated": 0.8,
                    "coverage_95_calibrated": 0.95,
                    "serving_interval_scale_80": 1.0,
                    "serving_interval_scale_95": 1.0,
                }
            )
    return pd.DataFrame(rows).assign(
        store="s", series_id="x", metric="orders", dimension="overall", dimension_value="all"
    )


def test_fold_roles_older_half_selects_recent_half_evaluates():
    assert [forecasting.fold_role(fold, 10) for fold in range(1, 11)] == ["evaluation"] * 5 + ["selection"] * 5
    assert forecasting.fold_role(1, 1) == "evaluation"
    assert [forecasting.fold_role(fold, 3) for fold in (1, 2, 3)] == ["evaluation", "selection", "selection"]


def test_model_is_chosen_on_earlier_folds_and_reported_on_later_ones():
    """Methodology: a model that wins the older folds by far but loses every recent one
    (mean MASE over all folds 0.85 x seasonal naive, which chose it before) is the candidate
    of the selection folds, reported on the evaluation folds only (1.3 x), and not served:
    the seasonal naive is kept, and the table says why."""
    backtest = fold_table({"seasonal_naive": [1.0] * 4, "ets": [1.3, 1.3, 0.4, 0.4]})
    selection = forecasting.select_models(backtest).set_index("model_name")
    assert selection.loc["ets", "is_candidate"] and selection.loc["ets", "model_rank"] == 1
    assert selection.loc["ets", "selection_mean_mase"] == pytest.approx(0.4)
    assert selection.loc["ets", "mean_mase"] == pytest.approx(1.3)
    assert selection.loc["ets", "fold_count"] == 2 and selection.loc["ets", "selection_fold_count"] == 2
    assert selection.loc["ets", "mase_vs_seasonal_naive"] == pytest.approx(1.3)
    assert selection.loc["ets", "evaluation_folds_won"] == 0
    assert not selection.loc["ets", "beats_seasonal_naive"]
    assert selection.loc["seasonal_naive", "is_chosen"] and not selection.loc["ets", "is_chosen"]
    assert selection.loc["seasonal_naive", "choice_reason"].startswith("seasonal naive kept: ets")


def test_seasonal_naive_is_kept_unless_the_candidate_wins_most_evaluation_folds():
    # sarima: better on average on the evaluation folds (one big win) but wins 1 of 3.
    lucky = fold_table({"seasonal_naive": [1.0] * 6, "sarima": [0.3, 1.1, 1.1, 0.8, 0.8, 0.8]})
    lucky_selection = forecasting.select_models(lucky).set_index("model_name")
    assert lucky_selection.loc["sarima", "mase_vs_seasonal_naive"] < 1
    assert lucky_selection.loc["sarima", "evaluation_folds_won"] == 1
    assert lucky_selection.loc["seasonal_naive", "is_chosen"]
    steady = fold_table({"seasonal_naive": [1.0] * 6, "sarima": [0.9, 0.9, 1.05, 0.8, 0.8, 0.8]})
    steady_selection = forecasting.select_models(steady).set_index("model_name")
    assert steady_selection.loc["sarima", "evaluation_folds_won"] == 2
    assert steady_selection.loc["sarima", "is_chosen"] and steady_selection.loc["sarima", "beats_seasonal_naive"]
    assert steady_selection.loc["sarima", "choice_reason"] == (
        "sarima chosen on the selection folds, wins 2 of 3 evaluation folds"
    )


def test_conformal_scale_is_the_finite_sample_quantile_of_the_scores():
    scores = np.arange(1, 11, dtype=float)  # 10 calibration days
    assert forecasting.conformal_scale(scores, 0.8) == 9.0  # ceil(11 x 0.8) = 9th smallest
    assert forecasting.conformal_scale(scores, 0.95) == 10.0  # rank 11 > n: the largest
    assert forecasting.conformal_scale(np.array([]), 0.8) == 1.0
    forecast = forecasting.Forecast(*(np.array([v]) for v in (10.0, 8.0, 14.0, 6.0, 18.0)))
    below, above = forecast.interval_scores(np.array([7.0]))[0], forecast.interval_scores(np.array([18.0]))[0]
    assert below == pytest.approx(1.5) and above == pytest.approx(2.0)  # 3 / 2 below, 8 / 4 above
    wider = forecast.scaled(2.0, 1.0)
    assert (wider.lower_80[0], wider.upper_80[0], wider.upper_95[0]) == (6.0, 18.0, 18.0)


def test_intervals_are_calibrated_on_the_folds_before():
    """Methodology: on a shop whose demand grows steadily the seasonal naive lags one season
    behind, and its intervals (from the spread of the seasonal differences) cover about half
    of the days, not 80%. Scaled by the conformal factor of the folds before each, they cover
    close to 80% of the evaluation days; the served factor is that of the latest folds."""
    rng = np.random.default_rng(5)
    dates = pd.date_range("2021-01-04", periods=420, freq="D")
    level = np.array([WEEKLY_PATTERN[d.isoweekday()] for d in dates]) + 100 + 2.0 * np.arange(len(dates))
    values = np.where(dates.dayofweek == 5, 0.0, np.round(level + rng.normal(0, 8, len(dates))))
    series = demand_series.build_demand_series(
        sales_daily_frame(pd.Series(values, index=dates)), top_n=0, closed_weekdays=SATURDAY_CLOSED
    )
    overall = series[series["series_id"] == "orders|overall|all"]
    frame = pd.DataFrame(
        forecasting.backtest_series(overall, horizon_days=28, fold_count=6, seed=42, prophet_dimensions=())
    )
    naive = frame[frame["model_name"] == "seasonal_naive"].set_index("fold_number")
    evaluation = naive[naive["fold_role"] == "evaluation"]
    assert (evaluation["interval_scale_80"] > 1.1).all()
    assert evaluation["coverage_80"].mean() < 0.6
    assert abs(evaluation["coverage_80_calibrated"].mean() - 0.8) < 0.1
    # The oldest fold has no fold before it: its intervals stay the model's own.
    assert naive.loc[6, "interval_scale_80"] == 1.0
    assert naive.loc[6, "coverage_80_calibrated"] == naive.loc[6, "coverage_80"]
    assert naive["serving_interval_scale_80"].nunique() == 1 and naive["serving_interval_scale_80"].iloc[0] > 1.1


def test_forecast_intervals_are_scaled_by_the_calibration():
    orders = shop_orders(start="2020-12-01", days=300)
    series = demand_series.build_demand_series(sales_daily_frame(orders), top_n=0, closed_weekdays=SATURDAY_CLOSED)
    overall = series[series["series_id"] == "orders|overall|all"]
    plain = forecasting.forecast_series(
        overall, forecasting.fit_chosen(overall, "seasonal_naive"), horizon_days=14, seed=42
    )
    wider = forecasting.forecast_series(
        overall, forecasting.fit_chosen(overall, "seasonal_naive", (2.0, 1.0)), horizon_days=14, seed=42
    )
    open_days = plain["day_status"] == DAY_OPEN
    widths = (plain["upper_80"] - plain["point_forecast"])[open_days]
    assert np.allclose((wider["upper_80"] - wider["point_forecast"])[open_days], 2 * widths)
    # The 95% interval (scale 1) still holds the doubled 80% one.
    assert (wider["upper_95"] >= plain["upper_95"]).all() and (wider["upper_95"] >= wider["upper_80"]).all()
    assert (wider["lower_95"] <= wider["lower_80"]).all()


def test_short_series_gets_only_the_seasonal_naive():
    assert forecasting.models_for("overall", 20, 7, ("overall",)) == ["seasonal_naive"]
    assert forecasting.models_for("country", 200, 7, ("overall",)) == ["seasonal_naive", "ets", "sarima"]
    assert forecasting.models_for("overall", 200, 7, ("overall",))[-1] == "prophet"


def test_forecast_is_zero_on_closed_days_and_covers_the_horizon():
    orders = shop_orders(start="2020-12-01", days=300, closures=("2020-12-25", "2020-12-28"))
    series = demand_series.build_demand_series(sales_daily_frame(orders), top_n=0, closed_weekdays=SATURDAY_CLOSED)
    overall = series[series["series_id"] == "orders|overall|all"]
    last = pd.Timestamp(overall["series_date"].max())
    forecast = forecasting.forecast_series(overall, forecasting.fit_chosen(overall, "ets"), horizon_days=28, seed=42)
    assert len(forecast) == 28 and list(forecast["horizon_day"]) == list(range(1, 29))
    assert pd.Timestamp(forecast["forecast_date"].iloc[0]) == last + pd.Timedelta(days=1)
    closed = forecast[forecast["day_status"] != DAY_OPEN]
    assert (closed[["point_forecast", "upper_95"]] == 0).all().all()
    assert (pd.to_datetime(closed["forecast_date"]).dt.dayofweek == 5).sum() == 4  # four Saturdays
    open_days = forecast[forecast["day_status"] == DAY_OPEN]
    assert (open_days["point_forecast"] > 0).all()
    assert (open_days["lower_95"] <= open_days["lower_80"]).all()
    assert (open_days["upper_80"] <= open_days["upper_95"]).all()


def test_stl_components_add_up_and_score_a_spike():
    orders = shop_orders(days=140)
    orders[pd.Timestamp("2021-03-03")] = 600.0
    series = demand_series.build_demand_series(sales_daily_frame(orders), top_n=0, closed_weekdays=SATURDAY_CLOSED)
    components = seasonality.seasonality_components(series)
    overall = components[components["series_id"] == "orders|overall|all"]
    total = overall["trend_value"] + overall["seasonal_value"] + overall["residual_value"]
    assert np.allclose(total, overall["observed_value"])
    top = overall.loc[overall["residual_score"].abs().idxmax()]
    assert top["series_date"] == pd.Timestamp("2021-03-03").date() and top["residual_score"] > 10


def test_robust_scores():
    assert np.array_equal(seasonality.robust_scores(np.array([5.0, 5, 5])), [0, 0, 0])
    scores = seasonality.robust_scores(np.array([1.0, 2, 3, 4, 100]))
    assert scores.argmax() == 4 and scores[2] == 0


def test_profiles_and_peaks():
    orders = shop_orders(days=140)
    series = demand_series.build_demand_series(sales_daily_frame(orders), top_n=0, closed_weekdays=SATURDAY_CLOSED)
    hour_weekday = pd.DataFrame(
        [
            {
                "store": "online_retail",
                "iso_day_of_week": d,
                "hour_of_day": h,
                "order_count": (10 if 9 <= h < 17 else 0) * (0 if d == 6 else 1),
                "net_revenue_amount": 1.0,
            }
            for d in range(1, 8)
            for h in range(24)
        ]
    )
    profiles = seasonality.seasonal_profiles(series, hour_weekday)
    weekday = profiles[(profiles["metric"] == "orders") & (profiles["profile"] == "weekday")].set_index(
        "iso_day_of_week"
    )
    assert weekday.loc[4, "is_peak"] and weekday.loc[6, "mean_value"] == 0 and not weekday.loc[6, "is_peak"]
    assert weekday.loc[4, "seasonal_index"] > 1 > weekday.loc[7, "seasonal_index"]
    cells = profiles[profiles["profile"] == "hour_weekday"]
    assert len(cells[cells["metric"] == "orders"]) == 168

    forecast = pd.DataFrame(
        {
            "store": "online_retail",
            "series_id": "orders|overall|all",
            "forecast_date": [pd.Timestamp("2021-06-01").date()],
            "day_status": DAY_OPEN,
            "point_forecast": [1000.0],
            "upper_80": [1200.0],
        }
    )
    hourly_actual = pd.DataFrame(
        {
            "store": "online_retail",
            "period_date": [pd.Timestamp("2021-01-04").date()],
            "hour_of_day": [10],
            "order_count": [50],
        }
    )
    hours = capacity.hourly_forecast(forecast, capacity.hour_shares(hour_weekday))
    peaks = seasonality.peak_periods(series, forecast, hourly_actual, hours)
    days = peaks[(peaks["period_type"] == "day") & (peaks["metric"] == "orders") & (peaks["source"] == "actual")]
    open_values = series[(series["series_id"] == "orders|overall|all") & (series["day_status"] == DAY_OPEN)][
        "actual_value"
    ]
    assert len(days) == (open_values >= np.quantile(open_values, 0.9)).sum()
    assert (peaks["value"] >= peaks["threshold_value"]).all()
    future_day = peaks[
        (peaks["period_type"] == "day") & (peaks["source"] == "forecast") & (peaks["metric"] == "orders")
    ]
    assert list(future_day["value"]) == [1000.0]
    actual_hour = peaks[(peaks["period_type"] == "hour") & (peaks["source"] == "actual")]
    assert list(actual_hour["hour_of_day"]) == [10]


def test_shifts_tile_the_day():
    settings = capacity.CapacitySettings(10, 8, 6, 1.0, 100)
    shifts = settings.shifts()
    assert [start for _, start, _ in shifts] == [6, 14, 22]
    assert sorted(h for _, _, hours in shifts for h in hours) == list(range(24))
    odd = capacity.CapacitySettings(10, 10, 0, 1.0, 100).shifts()
    assert [len(hours) for _, _, hours in odd] == [10, 10, 4]
    with pytest.raises(ValueError):
        capacity.CapacitySettings(0, 8, 6, 1.0, 100)


def test_resource_plan_agents_and_capacity():
    shares = pd.DataFrame(
        {
            "store": "s",
            "iso_day_of_week": np.repeat(np.arange(1, 8), 24),
            "hour_of_day": np.tile(np.arange(24), 7),
            "hour_share": np.tile(np.where(np.arange(24) == 10, 1.0, 0.0), 7),
        }
    )
    forecast = pd.DataFrame(
        {
            "store": "s",
            "forecast_date": [pd.Timestamp("2021-06-01").date(), pd.Timestamp("2021-06-05").date()],
            "day_status": [DAY_OPEN, DAY_CLOSED_WEEKDAY],
            "point_forecast": [130.0, 0.0],
            "upper_80": [170.0, 0.0],
        }
    )
    settings = {
        "s": capacity.CapacitySettings(
            orders_per_agent_hour=5,
            shift_length_hours=8,
            first_shift_start_hour=6,
            target_utilisation=0.5,
            warehouse_orders_per_day=150,
        )
    }
    plan = capacity.resource_plan(capacity.hourly_forecast(forecast, shares), settings)
    assert len(plan) == 6
    busy = plan[(plan["plan_date"] == pd.Timestamp("2021-06-01").date()) & (plan["shift_number"] == 1)].iloc[0]
    # 130 orders / (5 an hour x 8 hours x 0.5) = 6.5 -> 7 agents; 170 -> 8.5 -> 9.
    assert busy["agents_needed"] == 7 and busy["agents_needed_upper_80"] == 9 and busy["agent_hours"] == 56
    assert not busy["is_over_capacity"] and busy["is_over_capacity_upper_80"]
    assert plan.loc[plan["day_status"] != DAY_OPEN, "agents_needed"].eq(0).all()
    assert capacity.agents_needed(40.000000001, 8, capacity.CapacitySettings(5, 8, 0, 1.0, 1)) == 1


def test_empty_inputs_give_empty_tables_with_columns():
    series = demand_series.empty_demand_series()
    assert forecasting.run_backtest(series, horizon_days=28, fold_count=3, seed=42, prophet_dimensions=()).empty
    assert forecasting.select_models(
        forecasting.run_backtest(series, horizon_days=28, fold_count=3, seed=42, prophet_dimensions=())
    ).empty
    assert list(seasonality.seasonal_profiles(series, pd.DataFrame(columns=["store"])).columns)[:3] == [
        "store",
        "metric",
        "profile",
    ]
    assert (
        "peak_rank"
        in seasonality.peak_periods(
            series,
            pd.DataFrame(columns=["store", "series_id"]),
            pd.DataFrame(columns=["store"]),
            pd.DataFrame(columns=["store"]),
        ).columns
    )
    plan = capacity.resource_plan(pd.DataFrame(columns=["store", "forecast_date"]), {})
    assert plan.empty and "agents_needed" in plan.columns
    registry_rows = pd.DataFrame(columns=["store", "model_name", "version", "model_bytes"])
    forecast = tables.demand_forecast(series, registry_rows, 28, 42)
    assert forecast.empty and list(forecast.columns) == list(tables.FORECAST_SCHEMA)
    assert str(forecast["horizon_day"].dtype) == "Int32" and str(forecast["point_forecast"].dtype) == "Float64"


def test_a_tiny_store_degrades_without_crashing():
    orders = pd.Series([3.0, 1.0, 2.0], index=pd.date_range("2021-03-01", periods=3))
    series = demand_series.build_demand_series(sales_daily_frame(orders), top_n=3, closed_weekdays=SATURDAY_CLOSED)
    assert set(series["series_date"]) == {d.date() for d in orders.index}
    backtest = forecasting.run_backtest(series, horizon_days=28, fold_count=3, seed=42, prophet_dimensions=())
    assert backtest.empty  # no fold has two weeks of training days
    assert seasonality.seasonality_components(series).empty
    overall = series[series["series_id"] == "orders|overall|all"]
    forecast = forecasting.forecast_series(
        overall, forecasting.fit_chosen(overall, "seasonal_naive"), horizon_days=7, seed=42
    )
    assert len(forecast) == 7 and (forecast["point_forecast"] >= 0).all()


def test_series_end_at_the_store_data_end():
    orders = shop_orders(days=70)  # 2021-01-04 .. 2021-03-14 (a Sunday)
    # The extract stopped early on the last Sunday: 15 orders, below half the usual Sunday
    # (about 40). marts.store_data_ends says the last complete day is the Friday before; the
    # calendar, hence the forecast origin, ends there too (the demand code has no end rule of
    # its own, so every model shares one day).
    orders.iloc[-1] = 15.0
    data_end = pd.Timestamp("2021-03-12")
    calendar = demand_series.store_calendar(orders[orders > 0], (6,), data_end)
    assert calendar.end == data_end
    assert calendar.future_dates(1)[0] == pd.Timestamp("2021-03-13")
    series = demand_series.build_demand_series(
        sales_daily_frame(orders), top_n=0, closed_weekdays=SATURDAY_CLOSED, data_ends={"online_retail": data_end}
    )
    assert pd.to_datetime(series["series_date"]).max() == data_end
    # Without a data end the span runs to its last active day.
    assert demand_series.store_calendar(orders[orders > 0], (6,)).end == pd.Timestamp("2021-03-14")
