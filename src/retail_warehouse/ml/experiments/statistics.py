"""A/B test statistics: conversion (two-proportion z-test), revenue (Welch t, Mann-Whitney U),
sample size, power and minimum detectable effect, from statsmodels and scipy.

Every test returns a plain dict of floats so a model can write it as one table row."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.power import normal_sample_size_one_tail
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

CONTROL = "control"
TREATMENT = "treatment"


def two_proportion_z_test(
    control_successes: int,
    control_n: int,
    treatment_successes: int,
    treatment_n: int,
    alpha: float = 0.05,
) -> dict:
    """Two-sided z-test of p_treatment - p_control (statsmodels proportions_ztest).

    The test statistic uses the pooled proportion (the null hypothesis says both are equal);
    the (1 - alpha) confidence interval of the difference uses the unpooled standard error
    (Wald, confint_proportions_2indep), as is usual. With no variance at all (0 or 100%
    everywhere) the statistic and p-value are NaN, the interval is that of the estimate alone."""
    if control_n <= 0 or treatment_n <= 0:
        raise ValueError("both groups need at least one unit")
    for successes, n in ((control_successes, control_n), (treatment_successes, treatment_n)):
        if not 0 <= successes <= n:
            raise ValueError(f"successes {successes} outside 0..{n}")
    p_control = control_successes / control_n
    p_treatment = treatment_successes / treatment_n
    difference = p_treatment - p_control
    pooled = (control_successes + treatment_successes) / (control_n + treatment_n)
    if 0 < pooled < 1:
        z, p_value = proportions_ztest([treatment_successes, control_successes], [treatment_n, control_n])
    else:
        z = p_value = float("nan")
    ci_lower, ci_upper = confint_proportions_2indep(
        treatment_successes, treatment_n, control_successes, control_n, method="wald", compare="diff", alpha=alpha
    )
    return {
        "control_value": p_control,
        "treatment_value": p_treatment,
        "difference": difference,
        "relative_difference": difference / p_control if p_control > 0 else float("nan"),
        "ci_lower": float(ci_lower),
        "ci_upper": float(ci_upper),
        "statistic": float(z),
        "p_value": float(p_value),
    }


def welch_t_test(control: np.ndarray, treatment: np.ndarray, alpha: float = 0.05) -> dict:
    """Welch's unequal-variance t-test of mean(treatment) - mean(control), with the
    Welch-Satterthwaite confidence interval (scipy ttest_ind). Needs at least two values per
    group; with no variance in either group the statistic, degrees of freedom and p-value are
    NaN and the interval is the difference alone."""
    control = np.asarray(control, dtype=float)
    treatment = np.asarray(treatment, dtype=float)
    if control.size < 2 or treatment.size < 2:
        raise ValueError("Welch's t-test needs at least two values per group")
    difference = treatment.mean() - control.mean()
    if control.var() > 0 or treatment.var() > 0:
        result = stats.ttest_ind(treatment, control, equal_var=False)
        interval = result.confidence_interval(1 - alpha)
        t, df, p_value = float(result.statistic), float(result.df), float(result.pvalue)
        ci_lower, ci_upper = float(interval.low), float(interval.high)
    else:
        t = df = p_value = float("nan")
        ci_lower = ci_upper = float(difference)
    return {
        "control_value": float(control.mean()),
        "treatment_value": float(treatment.mean()),
        "difference": float(difference),
        "relative_difference": float(difference / control.mean()) if control.mean() else float("nan"),
        "ci_lower": ci_lower,
        "ci_upper": ci_upper,
        "statistic": t,
        "degrees_of_freedom": df,
        "p_value": p_value,
    }


def mann_whitney_test(control: np.ndarray, treatment: np.ndarray) -> dict:
    """Two-sided Mann-Whitney U test (normal approximation with tie and continuity
    correction, as scipy does for large samples). The effect is the probability of
    superiority P(T > C) + P(T = C) / 2 = U_treatment / (n_c n_t), 0.5 meaning no shift;
    revenue per customer is mostly zeros, which this handles as ties."""
    control = np.asarray(control, dtype=float)
    treatment = np.asarray(treatment, dtype=float)
    if control.size < 1 or treatment.size < 1:
        raise ValueError("both groups need at least one value")
    result = stats.mannwhitneyu(treatment, control, alternative="two-sided", method="asymptotic")
    return {
        "control_value": float(np.median(control)),
        "treatment_value": float(np.median(treatment)),
        "difference": float(np.median(treatment) - np.median(control)),
        "statistic": float(result.statistic),
        "probability_of_superiority": float(result.statistic) / (control.size * treatment.size),
        "p_value": float(result.pvalue),
    }


def sample_size_two_proportions(
    baseline_rate: float, minimum_detectable_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Units per group (equal groups) for a two-sided two-proportion z-test to detect an
    absolute change `minimum_detectable_effect` from `baseline_rate` with the given power
    (statsmodels samplesize_proportions_2indep_onetail: the pooled variance under H0 and the
    unpooled one under H1, the usual formula)."""
    treatment_rate = baseline_rate + minimum_detectable_effect
    if not (0 < baseline_rate < 1 and 0 < treatment_rate < 1) or minimum_detectable_effect == 0:
        raise ValueError("rates must lie strictly between 0 and 1 and the effect must not be 0")
    n = samplesize_proportions_2indep_onetail(
        minimum_detectable_effect, baseline_rate, power, alpha=alpha, alternative="two-sided"
    )
    return math.ceil(float(n))


def power_two_proportions(baseline_rate: float, treatment_rate: float, n_per_group: int, alpha: float = 0.05) -> float:
    """Power of the two-sided two-proportion z-test with n_per_group units in each group
    (statsmodels power_proportions_2indep). As in sample_size_two_proportions, of which it is
    the inverse, only the rejection tail on the side of the effect counts: the test at alpha
    is taken as one-sided at alpha / 2 (the far tail adds under 1e-6 at the powers used)."""
    low, high = sorted((baseline_rate, treatment_rate))
    if low in (0, 1) and high in (0, 1):
        return float("nan")
    return float(
        power_proportions_2indep(
            high - low, low, n_per_group, alpha=alpha / 2, alternative="larger", return_results=False
        )
    )


def minimum_detectable_effect_two_proportions(
    baseline_rate: float, n_per_group: int, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest absolute lift over baseline_rate that n_per_group units per group detect with
    the given power: the root of power_two_proportions - power (scipy brentq)."""
    if not 0 < baseline_rate < 1 or n_per_group < 1:
        return float("nan")
    largest = 1 - baseline_rate - 1e-12
    if power_two_proportions(baseline_rate, baseline_rate + largest, n_per_group, alpha) < power:
        return float("nan")
    return float(
        optimize.brentq(
            lambda lift: power_two_proportions(baseline_rate, baseline_rate + lift, n_per_group, alpha) - power,
            0.0,
            largest,
            xtol=1e-15,
            rtol=4 * np.finfo(float).eps,
            maxiter=200,
        )
    )


def sample_size_means(
    standard_deviation: float, minimum_detectable_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Units per group to detect a difference of means (normal approximation, equal groups
    with a common standard deviation; statsmodels normal_sample_size_one_tail at alpha / 2)."""
    if standard_deviation <= 0 or minimum_detectable_effect == 0:
        raise ValueError("need a positive standard deviation and a non-zero effect")
    n = normal_sample_size_one_tail(
        abs(minimum_detectable_effect), power, alpha / 2, std_null=standard_deviation * math.sqrt(2)
    )
    return math.ceil(float(n))


def analyse_experiment(outcomes: pd.DataFrame, alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """One row per test of one experiment from its units' outcomes (columns variant,
    converted (bool), revenue (float, 0 for non-converters)): conversion by the
    two-proportion z-test, revenue per unit by Welch's t and Mann-Whitney U. Each row also
    carries the group sizes and, for conversion, the minimum detectable effect of this
    sample at the given power. Empty when a variant has fewer than two units."""
    control = outcomes[outcomes["variant"] == CONTROL]
    treatment = outcomes[outcomes["variant"] == TREATMENT]
    if len(control) < 2 or len(treatment) < 2:
        return pd.DataFrame()
    conversion = two_proportion_z_test(
        int(control["converted"].sum()), len(control), int(treatment["converted"].sum()), len(treatment), alpha
    )
    n_per_group = min(len(control), len(treatment))
    conversion["minimum_detectable_effect"] = minimum_detectable_effect_two_proportions(
        conversion["control_value"], n_per_group, alpha, power
    )
    revenue_control = control["revenue"].to_numpy(dtype=float)
    revenue_treatment = treatment["revenue"].to_numpy(dtype=float)
    rows = [
        {"metric": "conversion", "test": "two_proportion_z", **conversion},
        {"metric": "revenue_per_unit", "test": "welch_t", **welch_t_test(revenue_control, revenue_treatment, alpha)},
        {
            "metric": "revenue_per_unit",
            "test": "mann_whitney_u",
            **mann_whitney_test(revenue_control, revenue_treatment),
        },
    ]
    table = pd.DataFrame(rows)
    table.insert(2, "control_units", len(control))
    table.insert(3, "treatment_units", len(treatment))
    table["is_significant"] = table["p_value"] < alpha
    return table
