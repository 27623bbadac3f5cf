"""Unit tests of retail_warehouse.ml.experiments (A/B test statistics and assignment): the
library calls with the options that give the documented method, checked by hand."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from retail_warehouse.ml.experiments import assignment, statistics, tables


def test_two_proportion_z_test_against_hand_computation():
    result = statistics.two_proportion_z_test(100, 1000, 130, 1000)
    pooled = 230 / 2000
    z = 0.03 / np.sqrt(pooled * (1 - pooled) * 2 / 1000)
    assert result["statistic"] == pytest.approx(z)
    assert result["p_value"] == pytest.approx(2 * stats.norm.sf(z))
    se = np.sqrt(0.1 * 0.9 / 1000 + 0.13 * 0.87 / 1000)
    assert result["ci_lower"] == pytest.approx(0.03 - 1.959964 * se, rel=1e-5)
    assert result["ci_upper"] == pytest.approx(0.03 + 1.959964 * se, rel=1e-5)
    assert result["relative_difference"] == pytest.approx(0.3)
    no_variance = statistics.two_proportion_z_test(0, 10, 0, 10)
    assert np.isnan(no_variance["p_value"]) and no_variance["difference"] == 0
    with pytest.raises(ValueError):
        statistics.two_proportion_z_test(11, 10, 0, 10)


def test_z_test_interval_covers_the_true_difference_about_95_percent():
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(400):
        control = rng.binomial(2000, 0.10)
        treatment = rng.binomial(2000, 0.12)
        result = statistics.two_proportion_z_test(control, 2000, treatment, 2000)
        covered += result["ci_lower"] <= 0.02 <= result["ci_upper"]
    assert 0.92 <= covered / 400 <= 0.98


def test_welch_t_matches_scipy():
    rng = np.random.default_rng(5)
    control, treatment = rng.normal(10, 2, 50), rng.normal(11, 5, 80)
    result = statistics.welch_t_test(control, treatment)
    reference = stats.ttest_ind(treatment, control, equal_var=False)
    assert result["statistic"] == pytest.approx(reference.statistic)
    assert result["p_value"] == pytest.approx(reference.pvalue)
    interval = reference.confidence_interval(0.95)
    assert result["ci_lower"] == pytest.approx(interval.low)
    assert result["ci_upper"] == pytest.approx(interval.high)
    with pytest.raises(ValueError):
        statistics.welch_t_test(np.array([1.0]), treatment)


def test_mann_whitney_effect_and_p_value():
    control = np.array([0, 0, 0, 1, 2, 3], dtype=float)
    treatment = np.array([0, 2, 4, 5, 6, 7], dtype=float)
    result = statistics.mann_whitney_test(control, treatment)
    # U of treatment: pairs (t, c) with t > c, ties half.
    wins = sum((t > c) + 0.5 * (t == c) for t in treatment for c in control)
    assert result["statistic"] == pytest.approx(wins)
    assert result["probability_of_superiority"] == pytest.approx(wins / 36)
    assert 0 < result["p_value"] < 0.1


def test_sample_size_and_power_agree():
    n = statistics.sample_size_two_proportions(0.10, 0.02)
    # The usual formula: pooled variance under H0, unpooled under H1, no continuity correction.
    z_alpha, z_beta = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    by_hand = (z_alpha * np.sqrt(2 * 0.11 * 0.89) + z_beta * np.sqrt(0.10 * 0.90 + 0.12 * 0.88)) ** 2 / 0.02**2
    assert n == int(np.ceil(by_hand)) == 3841
    # Power: the rejection tail on the side of the effect.
    se_null, se_alternative = np.sqrt(2 * 0.11 * 0.89 / 2000), np.sqrt((0.10 * 0.90 + 0.12 * 0.88) / 2000)
    assert statistics.power_two_proportions(0.10, 0.12, 2000) == pytest.approx(
        stats.norm.cdf((0.02 - z_alpha * se_null) / se_alternative)
    )
    assert statistics.power_two_proportions(0.12, 0.10, 2000) == statistics.power_two_proportions(0.10, 0.12, 2000)
    assert statistics.power_two_proportions(0.10, 0.12, n) == pytest.approx(0.8, abs=0.005)
    assert statistics.power_two_proportions(0.10, 0.12, n // 4) < 0.4
    mde = statistics.minimum_detectable_effect_two_proportions(0.10, n)
    assert mde == pytest.approx(0.02, abs=0.0005)
    assert statistics.sample_size_means(10.0, 1.0) == pytest.approx(2 * (1.959964 + 0.841621) ** 2 * 100, abs=1)
    with pytest.raises(ValueError):
        statistics.sample_size_two_proportions(0.10, 0.0)


def test_assignment_is_deterministic_order_free_and_balanced():
    keys = pd.Series([f"store:{i}" for i in range(20000)])
    first = assignment.assign_variants(keys, "salt", 0.5)
    shuffled = keys.sample(frac=1, random_state=1)
    again = assignment.assign_variants(shuffled, "salt", 0.5)
    assert (again.sort_index() == first).all()
    assert abs((first == statistics.TREATMENT).mean() - 0.5) < 0.02
    other_salt = assignment.assign_variants(keys, "other", 0.5)
    assert 0.45 < (other_salt == first).mean() < 0.55
    assert abs((assignment.assign_variants(keys, "salt", 0.2) == statistics.TREATMENT).mean() - 0.2) < 0.02


def test_a_a_tests_are_significant_about_alpha_of_the_time():
    rng = np.random.default_rng(2)
    runs = 1000
    significant = 0
    for _ in range(runs):
        control, treatment = rng.binomial(600, 0.2, 2)
        significant += statistics.two_proportion_z_test(int(control), 600, int(treatment), 600)["p_value"] < 0.05
    assert 0.03 <= significant / runs <= 0.07


def test_analyse_experiment_rows_and_small_groups():
    outcomes = pd.DataFrame(
        {
            "variant": [statistics.CONTROL] * 4 + [statistics.TREATMENT] * 4,
            "converted": [True, False, False, False, True, True, True, False],
            "revenue": [10.0, 0, 0, 0, 5.0, 7.0, 9.0, 0],
        }
    )
    table = statistics.analyse_experiment(outcomes)
    assert table.test.tolist() == ["two_proportion_z", "welch_t", "mann_whitney_u"]
    assert (table.control_units == 4).all()
    conversion = table.iloc[0]
    assert conversion.control_value == 0.25 and conversion.treatment_value == 0.75
    assert statistics.analyse_experiment(outcomes.iloc[3:]).empty  # one control unit


def test_experiment_units_window_and_eligibility():
    orders = pd.DataFrame(
        {
            "store": "s",
            "customer_key": ["s:a", "s:a", "s:b", "s:c", "s:b"],
            "order_key": ["o1", "o2", "o3", "o4", "o5"],
            "order_date": pd.to_datetime(["2020-01-01", "2020-02-10", "2020-01-15", "2020-02-05", "2020-04-01"]),
            "net_revenue_amount": [5.0, 7.0, 3.0, 4.0, 9.0],
        }
    )
    definition = pd.Series(
        {"store": "s", "assigned_on": "2020-02-01", "outcome_window_days": 30, "treatment_share": 0.5, "salt": "x"}
    )
    connection = duckdb.connect()
    orders["order_date"] = orders["order_date"].dt.date
    relation = connection.from_df(orders)
    units = tables.store_experiment_units(definition, relation, "2020-12-31").set_index("customer_key")
    # c first ordered after the assignment day: not a unit. b's order is after the window.
    assert sorted(units.index) == ["s:a", "s:b"]
    assert units.loc["s:a", "converted"] and units.loc["s:a", "revenue"] == 7.0
    assert not units.loc["s:b", "converted"] and units.loc["s:b", "revenue"] == 0.0
    assert (units["outcome_window_end"] == pd.Timestamp("2020-03-02")).all()
    # The store's data end (2020-02-08) comes before the window's end: a's 02-10 order is
    # past the observed history and counts for no one.
    cut = tables.store_experiment_units(definition, relation, "2020-02-08").set_index("customer_key")
    assert not cut["converted"].any() and (cut["outcome_window_end"] == pd.Timestamp("2020-02-09")).all()
