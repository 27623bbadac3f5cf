"""Methodology of the churn tables: one data end per store for labels and scores, flags that
carry over to the refitted model, the recency baseline as the bar to beat with an interval,
model selection before the reported cutoff, one definition of a sale order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from retail_warehouse.ml.common import as_of_scoring_date
from retail_warehouse.ml.customer_value import churn, tables
from retail_warehouse.ml.customer_value.labels import out_of_time_split, sale_orders

D = pd.Timestamp


def test_a_sale_order_is_never_a_cancelled_one():
    orders = pd.DataFrame(
        {
            "order_type": ["sale", "sale", "cancellation"],
            "is_cancelled": [False, True, False],
            "customer_key": ["a", "a", "a"],
            "order_date": ["2018-01-01", "2018-02-01", "2018-03-01"],
            "net_revenue_amount": [10.0, 0.0, -5.0],
        }
    )
    assert sale_orders(orders)["order_date"].tolist() == [D("2018-01-01")]


def test_scores_look_forward_from_the_day_after_the_data_end():
    """customer_features is measured as of the day after the last order (2018-10-18 on
    Olist); scores are as of the day after the data end, the mart's scoring_ columns: recency
    and tenure to that day, and a customer with an order after the data end has no state as of
    it (kept, unscored, with the reason)."""
    customers = pd.DataFrame(
        {
            "customer_key": ["a", "b"],
            "as_of_date": [D("2018-10-18")] * 2,
            "recency_days": [70, 1],
            "tenure_days": [100, 1],
            "scoring_date": [D("2018-08-29")] * 2,
            "scoring_recency_days": [20, None],
            "scoring_tenure_days": [50, None],
            "is_scorable": [True, False],
            "unscored_reason": [None, "sale order after the data end (2018-08-28): no state as of the scoring day"],
        }
    )
    scored = as_of_scoring_date(customers).set_index("customer_key")
    assert (scored["as_of_date"] == D("2018-08-29")).all()
    assert scored.loc["a", "recency_days"] == 20 and scored.loc["a", "tenure_days"] == 50
    assert scored["is_scorable"].tolist() == [True, False]
    assert np.isnan(scored.loc["b", "recency_days"]) and scored.loc["b", "unscored_reason"].startswith("sale order")
    assert not {"scoring_date", "scoring_recency_days", "scoring_tenure_days"} & set(scored.columns)


def test_flags_are_the_validated_share_of_the_refitted_scores():
    """A probability threshold tuned on one model flags any share of another model's scores
    (70% of Online Retail); the validated share carries over exactly."""
    probabilities = np.array([0.9, 0.8, 0.8, 0.3, 0.2, 0.1, 0.05, 0.6, 0.7, 0.4])
    keys = [f"k{i}" for i in range(10)]
    flagged, threshold = churn.flag_top_share(probabilities, keys, 0.25)
    assert flagged.sum() == round(0.25 * 10) and threshold == pytest.approx(0.8)
    assert flagged[[0, 1]].all() and not flagged[2]  # tie at 0.8 broken by key
    assert not churn.flag_top_share(probabilities, keys, 0.0)[0].any()


def test_the_auc_gain_over_recency_has_a_seeded_paired_interval():
    rng = np.random.default_rng(0)
    labels = rng.random(2000) < 0.3
    recency = labels * 0.5 + rng.random(2000)
    same = recency + 1e-9 * rng.random(2000)
    gain, lower, upper = churn.paired_auc_gain(labels, same, recency, seed=1)
    assert lower <= 0 <= upper and abs(gain) < 1e-3
    better = labels * 2.0 + rng.random(2000)
    gain, lower, upper = churn.paired_auc_gain(labels, better, recency, seed=1)
    assert 0 < lower < gain < upper
    assert churn.paired_auc_gain(labels, better, recency, seed=1) == (gain, lower, upper)


def _hand_loop_auc_gain(labels, probabilities, baseline_probabilities, seed):
    """The paired bootstrap churn.paired_auc_gain ran by hand before it used the shared
    common.paired_labelled_difference_interval: 500 seeded resamples of the rows, the ones
    holding one class skipped."""
    gain = roc_auc_score(labels, probabilities) - roc_auc_score(labels, baseline_probabilities)
    generator = np.random.default_rng(seed)
    gains = []
    for _ in range(churn.BOOTSTRAP_RESAMPLES):
        rows = generator.integers(0, len(labels), len(labels))
        if labels[rows].all() or not labels[rows].any():
            continue
        gains.append(
            roc_auc_score(labels[rows], probabilities[rows]) - roc_auc_score(labels[rows], baseline_probabilities[rows])
        )
    return (gain, *np.quantile(gains, [0.025, 0.975]))


@pytest.mark.parametrize("rows, positive_rate", [(2000, 0.3), (40, 0.05)])
def test_the_auc_gain_interval_is_the_shared_bootstrap_with_the_same_figures(rows, positive_rate):
    # With 40 rows and 5% positives many resamples hold one class: they are skipped, as before.
    rng = np.random.default_rng(2)
    labels = rng.random(rows) < positive_rate
    labels[0] = True
    recency = labels * 0.5 + rng.random(rows)
    model = labels * 0.8 + rng.random(rows)
    assert churn.paired_auc_gain(labels, model, recency, seed=7) == pytest.approx(
        _hand_loop_auc_gain(labels, model, recency, seed=7), abs=1e-12
    )


def _metrics_rows(rows):
    columns = ["model_name", "is_baseline", "selection_cutoff", "selection_roc_auc", "selection_pr_auc"]
    columns += ["selection_roc_auc_gain_lower", "pr_auc", "roc_auc_gain_vs_baseline", "roc_auc_gain_ci_lower"]
    columns += ["roc_auc_gain_ci_upper", "beats_baseline"]
    return pd.DataFrame(rows, columns=columns)


def test_the_served_model_is_chosen_at_the_selection_cutoff_and_must_beat_recency():
    """The best validation PR-AUC does not decide; a model that does not beat recency (its
    interval includes 0 at the selection cutoff, or at validation) is not served: recency is."""
    cutoff = D("2017-09-01")
    group = _metrics_rows(
        [
            ("lightgbm", False, cutoff, 0.70, 0.10, 0.01, 0.05, 0.02, 0.01, 0.03, True),
            ("logistic_regression", False, cutoff, 0.69, 0.09, 0.02, 0.30, 0.03, 0.02, 0.04, True),
            ("recency_baseline", True, cutoff, 0.66, 0.04, None, 0.04, None, None, None, None),
        ]
    )
    index, reason = tables._served_model(group)
    assert group.loc[index, "model_name"] == "lightgbm" and "it is served" in reason
    # Chosen at the selection cutoff, but its gain does not hold at validation: recency.
    group.loc[0, ["roc_auc_gain_ci_lower", "beats_baseline"]] = [-0.01, False]
    index, reason = tables._served_model(group)
    assert group.loc[index, "model_name"] == "recency_baseline" and "does not exclude 0" in reason
    group["selection_roc_auc_gain_lower"] = [-0.01, -0.002, None]
    index, reason = tables._served_model(group)
    assert group.loc[index, "model_name"] == "recency_baseline" and reason.startswith("No model beats")


def test_the_threshold_is_tuned_by_a_model_whose_outcomes_closed_before_the_tuning_cutoff():
    """Olist: H = 180 days, tuning at 2017-09-01. A cutoff of 2017-06-01 has its outcome
    window open until 2017-11-28, after the tuning day: it must not train the tuning model."""
    cutoffs = pd.date_range("2016-10-01", "2018-03-01", freq="MS")
    split = out_of_time_split(cutoffs, horizon_days=180)
    assert split.tuning == D("2017-09-01")
    closed = churn.cutoffs_closed_before_tuning(split, 180)
    assert closed and max(closed) + pd.Timedelta(days=180) <= split.tuning
    assert D("2017-06-01") in split.training and D("2017-06-01") not in closed
