"""Churn and purchase-probability classifiers, validated out of time against a recency rule.

Per store the positive class is either `churn` (no sale order in the next H days; Online
Retail, where most customers come back) or `repeat_purchase` (another sale order within H
days; Olist, where ~97% of customers buy once, so "churn" is nearly everyone and the useful
question is who buys again). churn_probability is reported for both: 1 - P(repeat) on Olist.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from retail_warehouse.ml.common import paired_labelled_difference_interval
from retail_warehouse.ml.customer_value.labels import FEATURES, OutOfTimeSplit, seeded_sample
from retail_warehouse.ml.customer_value.metrics import f1_best_threshold

TARGETS = ("churn", "repeat_purchase")
BASELINE = "recency_baseline"
CLASSIFIERS = ("logistic_regression", "random_forest", "lightgbm", "knn", BASELINE)
# KNN predicts by distance to every stored row: it is fitted on a sample this large at most.
KNN_MAX_ROWS = 10_000
RISK_BANDS = (("high", 0.8), ("medium", 0.5), ("low", 0.0))


# LightGBM settings of both the churn classifier and the spend regressor (customer_value):
# small shallow trees on row and column subsamples; one thread, deterministic and row-wise so
# the same input gives the same model on every build.
LIGHTGBM_SETTINGS = {
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 50,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "n_jobs": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}


def signed_log1p(values):
    """Compresses the long right tails of counts and amounts for the distance- and
    gradient-based models; keeps the sign of negative amounts."""
    return np.sign(values) * np.log1p(np.abs(values))


class RecencyRule(ClassifierMixin, BaseEstimator):
    """The rule baseline: the probability of the positive class is its rate among training
    rows in the same recency-days decile (edges from the training rows). Reads recency only."""

    def __init__(self, bin_count: int = 10):
        self.bin_count = bin_count

    def fit(self, features: pd.DataFrame, labels):
        recency = np.asarray(features["recency_days"], dtype=float)
        labels = np.asarray(labels, dtype=float)
        self.classes_ = np.array([False, True])
        self.edges_ = np.unique(np.quantile(recency, np.linspace(0, 1, self.bin_count + 1)[1:-1]))
        bins = np.searchsorted(self.edges_, recency, side="right")
        overall = labels.mean() if len(labels) else 0.5
        self.rates_ = np.array(
            [labels[bins == b].mean() if (bins == b).any() else overall for b in range(len(self.edges_) + 1)]
        )
        return self

    def predict_proba(self, features: pd.DataFrame):
        bins = np.searchsorted(self.edges_, np.asarray(features["recency_days"], dtype=float), side="right")
        positive = self.rates_[bins]
        return np.column_stack([1 - positive, positive])

    def predict(self, features: pd.DataFrame):
        return self.predict_proba(features)[:, 1] >= 0.5


def make_classifier(name: str, seed: int):
    """A fresh, seeded, single-threaded estimator (single-threaded: deterministic, and the
    build machine is shared)."""
    scaled = [FunctionTransformer(signed_log1p), StandardScaler()]
    if name == "logistic_regression":
        return make_pipeline(*scaled, LogisticRegression(C=1.0, max_iter=2000))
    if name == "random_forest":
        # Each tree on half the rows: half the fit time, no loss of accuracy at these sizes.
        return RandomForestClassifier(
            n_estimators=100, max_depth=8, min_samples_leaf=20, max_samples=0.5, random_state=seed, n_jobs=1
        )
    if name == "lightgbm":
        return lightgbm.LGBMClassifier(n_estimators=200, random_state=seed, **LIGHTGBM_SETTINGS)
    if name == "knn":
        # Brute force over exact L1 distances: 4x faster than a tree on these many ties, and
        # exact sums keep neighbour ties (and so the probabilities) reproducible.
        return make_pipeline(*scaled, KNeighborsClassifier(n_neighbors=50, algorithm="brute", metric="manhattan"))
    if name == BASELINE:
        return RecencyRule()
    raise ValueError(f"unknown classifier {name}")


def positive_labels(examples: pd.DataFrame, target: str) -> np.ndarray:
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target}")
    purchased = examples["purchased_again"].to_numpy(dtype=bool)
    return ~purchased if target == "churn" else purchased


def fitted_row_cap(name: str, max_rows: int) -> int:
    """The most training rows a classifier is fitted on (KNN: at most KNN_MAX_ROWS)."""
    return min(max_rows, KNN_MAX_ROWS) if name == "knn" else max_rows


def fit_classifier(name: str, rows: pd.DataFrame, target: str, seed: int, max_rows: int):
    """Fits one classifier on a seeded sample of at most fitted_row_cap rows. Returns None
    when the rows hold a single class (nothing to learn)."""
    sample = seeded_sample(rows, fitted_row_cap(name, max_rows), seed)
    labels = positive_labels(sample, target)
    if len(sample) == 0 or labels.all() or not labels.any():
        return None
    estimator = make_classifier(name, seed)
    estimator.fit(sample[list(FEATURES)], labels)
    return estimator


def positive_probability(estimator, rows: pd.DataFrame) -> np.ndarray:
    if len(rows) == 0:
        return np.array([], dtype=float)
    return estimator.predict_proba(rows[list(FEATURES)])[:, 1].astype(float)


# Paired bootstrap of an AUC gain: resamples of the rows, the same for both models.
BOOTSTRAP_RESAMPLES = 500


def paired_auc_gain(labels, probabilities, baseline_probabilities, seed: int) -> tuple[float, float, float]:
    """ROC-AUC of the model minus the baseline's on the same rows, and its 95% percentile
    interval over BOOTSTRAP_RESAMPLES seeded paired resamples (common.
    paired_labelled_difference_interval: resamples with one class are skipped); NaNs when the
    rows hold one class."""
    gain = paired_labelled_difference_interval(
        roc_auc_score, labels, probabilities, baseline_probabilities, seed, n_resamples=BOOTSTRAP_RESAMPLES
    )
    return gain["difference"], gain["lower"], gain["upper"]


@dataclass(frozen=True)
class ValidationRun:
    """One classifier's out-of-time run: its threshold (tuned before validation), its
    probabilities on the validation rows (None when it could not be fitted), and those of the
    model fitted before the tuning cutoff on the tuning rows (where models are selected)."""

    model_name: str
    threshold: float | None
    probabilities: np.ndarray | None
    tuning_probabilities: np.ndarray | None = None


def cutoffs_closed_before_tuning(split: OutOfTimeSplit, horizon_days: int) -> tuple[pd.Timestamp, ...]:
    """The training cutoffs whose outcome window [c, c + H) closes by the tuning cutoff: the
    tuning model learns only outcomes known on the day it is tuned, as in validation."""
    if split.tuning is None:
        return ()
    return tuple(c for c in split.training if c + pd.Timedelta(days=horizon_days) <= split.tuning)


def validate_classifier(
    name: str, examples: pd.DataFrame, split: OutOfTimeSplit, target: str, seed: int, max_rows: int
) -> ValidationRun:
    """Threshold: the F1-maximising one on the latest training cutoff, from the same model
    fitted on the training cutoffs whose outcome windows close by then (with none: on the
    training rows themselves). Then the model is fitted on every training cutoff and scores
    the validation cutoff. examples carry horizon_days."""
    training = examples[examples["as_of_date"].isin(split.training)]
    validation = examples[examples["as_of_date"] == split.validation]
    closed = cutoffs_closed_before_tuning(split, int(examples["horizon_days"].iloc[0]))
    if closed:
        tuning_rows = training[training["as_of_date"] == split.tuning]
        tuning_model = fit_classifier(name, training[training["as_of_date"].isin(closed)], target, seed, max_rows)
    else:
        tuning_rows, tuning_model = training, fit_classifier(name, training, target, seed, max_rows)
    model = fit_classifier(name, training, target, seed, max_rows)
    if model is None or tuning_model is None:
        return ValidationRun(name, None, None)
    tuning_probabilities = positive_probability(tuning_model, tuning_rows)
    threshold = f1_best_threshold(positive_labels(tuning_rows, target), tuning_probabilities)
    return ValidationRun(name, threshold, positive_probability(model, validation), tuning_probabilities)


def tuning_rows_of(examples: pd.DataFrame, split: OutOfTimeSplit) -> pd.DataFrame:
    """The rows thresholds are tuned and models selected on (validate_classifier)."""
    training = examples[examples["as_of_date"].isin(split.training)]
    if cutoffs_closed_before_tuning(split, int(examples["horizon_days"].iloc[0])):
        return training[training["as_of_date"] == split.tuning]
    return training


def flag_top_share(probabilities, keys, share: float) -> tuple[np.ndarray, float]:
    """The round(share * n) customers with the highest probability (ties broken by customer
    key, so the count is exact), and the probability of the last one flagged (NaN when none)."""
    probabilities = np.asarray(probabilities, dtype=float)
    count = round(float(share) * len(probabilities))
    order = np.lexsort((np.asarray(keys, dtype=str), -probabilities))
    flagged = np.zeros(len(probabilities), dtype=bool)
    flagged[order[:count]] = True
    return flagged, float(probabilities[order[count - 1]]) if count else float("nan")


def campaign_share(capacity, scored_count: int) -> float | None:
    """The share of scored customers a campaign of `capacity` reaches (var
    churn_campaign_capacity for one store): a number up to 1 is a share, a whole number above
    1 a count of customers; None or empty text: no limit."""
    if capacity is None or str(capacity).strip() == "":
        return None
    try:
        value = float(capacity)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value < 0 or (value > 1 and not value.is_integer()):
        raise ValueError(
            f"var churn_campaign_capacity: got {capacity!r}, expected a share from 0 to 1, a whole number of "
            "customers above 1, or empty"
        )
    if value <= 1:
        return value
    return min(value / scored_count, 1.0) if scored_count else 0.0


def churn_probability(probabilities, target: str) -> np.ndarray:
    probabilities = np.asarray(probabilities, dtype=float)
    return probabilities if target == "churn" else 1.0 - probabilities


def risk_band(churn_probabilities) -> np.ndarray:
    """high (churn probability >= 0.8), medium (>= 0.5), low."""
    churn_probabilities = np.asarray(churn_probabilities, dtype=float)
    bands = np.full(len(churn_probabilities), RISK_BANDS[-1][0], dtype=object)
    for band, lower in reversed(RISK_BANDS[:-1]):
        bands[churn_probabilities >= lower] = band
    return bands


def top_drivers(estimator, rows: pd.DataFrame, reference: pd.Series, count: int = 3) -> list[str]:
    """Per row, the features that move its probability most: each feature in turn set to the
    reference value (the median over the labelled examples); the largest absolute changes, as
    'feature=value (+0.12)' where +0.12 is how much that value raises the probability (3
    significant digits: Olist probabilities are around 0.01)."""
    if len(rows) == 0:
        return []
    features = rows[list(FEATURES)].reset_index(drop=True)
    base = positive_probability(estimator, features)
    effects = np.empty((len(features), len(FEATURES)))
    for position, feature in enumerate(FEATURES):
        neutral = features.copy()
        neutral[feature] = reference[feature]
        effects[:, position] = base - positive_probability(estimator, neutral)
    ranked = np.argsort(-np.abs(effects), axis=1, kind="mergesort")[:, :count]
    drivers = []
    for row_index, positions in enumerate(ranked):
        parts = [
            f"{FEATURES[p]}={features.iat[row_index, p]:.4g} ({effects[row_index, p]:+.3g})"
            for p in positions
            if abs(effects[row_index, p]) > 0
        ]
        drivers.append("; ".join(parts))
    return drivers


def feature_importance(
    estimator, rows: pd.DataFrame, target: str, seed: int, max_rows: int = 10_000, repeats: int = 5
) -> pd.DataFrame:
    """Permutation importance on (a seeded sample of) validation rows: the mean and standard
    deviation of the drop in PR-AUC when one feature is shuffled."""
    sample = seeded_sample(rows, max_rows, seed)
    labels = positive_labels(sample, target)
    result = permutation_importance(
        estimator,
        sample[list(FEATURES)],
        labels,
        scoring="average_precision",
        n_repeats=repeats,
        random_state=seed,
        n_jobs=1,
    )
    table = pd.DataFrame(
        {
            "feature_name": list(FEATURES),
            "importance_mean": result.importances_mean.astype(float),
            "importance_std": result.importances_std.astype(float),
        }
    )
    table = table.sort_values(["importance_mean", "feature_name"], ascending=[False, True], kind="mergesort")
    table["importance_rank"] = np.arange(1, len(table) + 1)
    table["evaluated_row_count"] = len(sample)
    return table.reset_index(drop=True)
