"""A/B test statistics: conversion (two-proportion z-test), revenue (Welch t, Mann-Whitney U),
sample size and power, and the seeded, hash-based assignment of customers to variants.

Every test returns a plain dict of floats so a model can write it as one table row."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
from scipy import stats

CONTROL = "control"
TREATMENT = "treatment"


def _z_quantile(alpha: float, two_sided: bool = True) -> float:
    return float(stats.norm.ppf(1 - alpha / 2 if two_sided else 1 - alpha))


def two_proportion_z_test(
    control_successes: int,
    control_n: int,
    treatment_successes: int,
    treatment_n: int,
    alpha: float = 0.05,
) -> dict:
    """Two-sided z-test of p_treatment - p_control.

    The test statistic uses the pooled proportion (the null hypothesis says both are equal);
    the (1 - alpha) confidence interval of the difference uses the unpooled standard error
    (Wald), as is usual. With a group of size 0, or no variance at all (0 or 100% everywhere),
    the statistic and p-value are NaN, the interval is that of the estimate alone."""
    if control_n <= 0 or treatment_n <= 0:
        raise ValueError("both groups need at least one unit")
    for successes, n in ((control_successes, control_n), (treatment_successes, treatment_n)):
        if not 0 <= successes <= n:
            raise ValueError(f"successes {successes} outside 0..{n}")
    p_control = control_successes / control_n
    p_treatment = treatment_successes / treatment_n
    difference = p_treatment - p_control
    pooled = (control_successes + treatment_successes) / (control_n + treatment_n)
    pooled_se = math.sqrt(pooled * (1 - pooled) * (1 / control_n + 1 / treatment_n))
    if pooled_se > 0:
        z = difference / pooled_se
        p_value = float(2 * stats.norm.sf(abs(z)))
    else:
        z = p_value = float("nan")
    unpooled_se = math.sqrt(p_control * (1 - p_control) / control_n + p_treatment * (1 - p_treatment) / treatment_n)
    half_width = _z_quantile(alpha) * unpooled_se
    return {
        "control_value": p_control,
        "treatment_value": p_treatment,
        "difference": difference,
        "relative_difference": difference / p_control if p_control > 0 else float("nan"),
        "ci_lower": difference - half_width,
        "ci_upper": difference + half_width,
        "statistic": z,
        "p_value": p_value,
    }


def welch_t_test(control: np.ndarray, treatment: np.ndarray, alpha: float = 0.05) -> dict:
    """Welch's unequal-variance t-test of mean(treatment) - mean(control), with the
    Welch-Satterthwaite confidence interval. Needs at least two values per group."""
    control = np.asarray(control, dtype=float)
    treatment = np.asarray(treatment, dtype=float)
    if control.size < 2 or treatment.size < 2:
        raise ValueError("Welch's t-test needs at least two values per group")
    var_control = control.var(ddof=1) / control.size
    var_treatment = treatment.var(ddof=1) / treatment.size
    difference = treatment.mean() - control.mean()
    se = math.sqrt(var_control + var_treatment)
    if se > 0:
        df = (var_control + var_treatment) ** 2 / (
            var_control**2 / (control.size - 1) + var_treatment**2 / (treatment.size - 1)
        )
        t = difference / se
        p_value = float(2 * stats.t.sf(abs(t), df))
        half_width = float(stats.t.ppf(1 - alpha / 2, df)) * se
    else:
        df = t = p_value = float("nan")
        half_width = 0.0
    return {
        "control_value": float(control.mean()),
        "treatment_value": float(treatment.mean()),
        "difference": float(difference),
        "relative_difference": float(difference / control.mean()) if control.mean() else float("nan"),
        "ci_lower": float(difference - half_width),
        "ci_upper": float(difference + half_width),
        "statistic": float(t),
        "degrees_of_freedom": float(df),
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
    (the usual formula with the pooled variance under H0 and the unpooled one under H1)."""
    p1 = baseline_rate
    p2 = baseline_rate + minimum_detectable_effect
    if not (0 < p1 < 1 and 0 < p2 < 1) or minimum_detectable_effect == 0:
        raise ValueError("rates must lie strictly between 0 and 1 and the effect must not be 0")
    p_bar = (p1 + p2) / 2
    z_alpha = _z_quantile(alpha)
    z_beta = float(stats.norm.ppf(power))
    numerator = (z_alpha * math.sqrt(2 * p_bar * (1 - p_bar)) + z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    return math.ceil(numerator / minimum_detectable_effect**2)


def power_two_proportions(baseline_rate: float, treatment_rate: float, n_per_group: int, alpha: float = 0.05) -> float:
    """Power of the two-sided two-proportion z-test with n_per_group units in each group
    (inverse of sample_size_two_proportions; the far rejection tail is ignored)."""
    p1, p2 = baseline_rate, treatment_rate
    p_bar = (p1 + p2) / 2
    se_null = math.sqrt(2 * p_bar * (1 - p_bar) / n_per_group)
    se_alt = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n_per_group)
    if se_alt == 0:
        return float("nan")
    z = (abs(p2 - p1) - _z_quantile(alpha) * se_null) / se_alt
    return float(stats.norm.cdf(z))


def minimum_detectable_effect_two_proportions(
    baseline_rate: float, n_per_group: int, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest absolute lift over baseline_rate that n_per_group units per group detect with
    the given power (solved on power_two_proportions by bisection)."""
    if not 0 < baseline_rate < 1 or n_per_group < 1:
        return float("nan")
    low, high = 0.0, 1 - baseline_rate - 1e-12
    if power_two_proportions(baseline_rate, baseline_rate + high, n_per_group, alpha) < power:
        return float("nan")
    for _ in range(100):
        middle = (low + high) / 2
        if power_two_proportions(baseline_rate, baseline_rate + middle, n_per_group, alpha) < power:
            low = middle
        else:
            high = middle
    return high


def sample_size_means(
    standard_deviation: float, minimum_detectable_effect: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Units per group to detect a difference of means (normal approximation, equal groups
    with a common standard deviation)."""
    if standard_deviation <= 0 or minimum_detectable_effect == 0:
        raise ValueError("need a positive standard deviation and a non-zero effect")
    z = _z_quantile(alpha) + float(stats.norm.ppf(power))
    return math.ceil(2 * (z * standard_deviation / minimum_detectable_effect) ** 2)


def assign_variants(unit_keys: pd.Series, salt: str, treatment_share: float) -> pd.Series:
    """control / treatment for every unit, from md5(salt:key): deterministic, independent of
    row order and of the other units, and stable when new customers arrive."""
    if not 0 < treatment_share < 1:
        raise ValueError("treatment_share must lie strictly between 0 and 1")
    buckets = np.array(
        [int(hashlib.md5(f"{salt}:{key}".encode()).hexdigest()[:15], 16) / 16**15 for key in unit_keys],
        dtype=float,
    )
    return pd.Series(np.where(buckets < treatment_share, TREATMENT, CONTROL), index=unit_keys.index, dtype=object)


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


# --- The experiments of seeds/experiment_definitions: units, outcomes, results ---------------


def load_sale_orders(fct_orders) -> pd.DataFrame:
    """Sale orders (not cancelled) with a customer, from marts.fct_orders."""
    return (
        fct_orders.filter("order_type = 'sale' and not is_cancelled and customer_key is not null")
        .project("store, customer_key, order_key, order_date, net_revenue_amount")
        .order("store, customer_key, order_key")
        .df()
    )


def experiment_units(definition: pd.Series, orders: pd.DataFrame) -> pd.DataFrame:
    """The units of one experiment: every customer of its store with a sale order before
    assigned_on, their variant (assign_variants) and outcome over the window
    [assigned_on, assigned_on + outcome_window_days): converted = any sale order in it,
    revenue = its net revenue (0 when none)."""
    store_orders = orders[orders["store"] == definition["store"]]
    start = pd.Timestamp(definition["assigned_on"])
    end = start + pd.Timedelta(days=int(definition["outcome_window_days"]))
    dates = pd.to_datetime(store_orders["order_date"])
    eligible = np.sort(store_orders.loc[dates < start, "customer_key"].unique())
    units = pd.DataFrame({"customer_key": pd.Series(eligible, dtype=object)})
    if units.empty:
        return units.assign(
            variant=pd.Series(dtype=object), converted=pd.Series(dtype=bool), revenue=pd.Series(dtype=float)
        )
    units["variant"] = assign_variants(
        units["customer_key"], str(definition["salt"]), float(definition["treatment_share"])
    )
    in_window = store_orders[(dates >= start) & (dates < end)]
    revenue = in_window.groupby("customer_key")["net_revenue_amount"].sum().astype(float)
    units["converted"] = units["customer_key"].isin(revenue.index)
    units["revenue"] = units["customer_key"].map(revenue).fillna(0.0)
    return units


ASSIGNMENTS_SCHEMA = {
    "experiment_id": "string",
    "store": "string",
    "customer_key": "string",
    "variant": "string",
    "converted": "boolean",
    "revenue": "Float64",
}
RESULTS_SCHEMA = {
    "experiment_id": "string",
    "store": "string",
    "metric": "string",
    "test": "string",
    "control_units": "Int64",
    "treatment_units": "Int64",
    "control_value": "Float64",
    "treatment_value": "Float64",
    "difference": "Float64",
    "relative_difference": "Float64",
    "ci_lower": "Float64",
    "ci_upper": "Float64",
    "statistic": "Float64",
    "degrees_of_freedom": "Float64",
    "p_value": "Float64",
    "is_significant": "boolean",
    "probability_of_superiority": "Float64",
    "minimum_detectable_effect": "Float64",
}
