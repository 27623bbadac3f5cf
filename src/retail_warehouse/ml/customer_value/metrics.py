"""Scores of probabilistic classifiers and of regressions on a validation fold."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from retail_warehouse.ml.common import paired_difference_interval

CALIBRATION_BINS = 10
BOOTSTRAP_RESAMPLES = 1000
# Resamples evaluated at once: memory is this many times the row count.
BOOTSTRAP_BATCH = 50


def f1_best_threshold(labels, probabilities) -> float:
    """The probability threshold that maximises F1 on (labels, probabilities): predicted
    positive when probability >= threshold. 0.5 when there is no positive."""
    labels = np.asarray(labels, dtype=bool)
    probabilities = np.asarray(probabilities, dtype=float)
    if labels.sum() == 0 or len(labels) == 0:
        return 0.5
    order = np.argsort(-probabilities, kind="mergesort")
    sorted_probabilities = probabilities[order]
    true_positives = np.cumsum(labels[order])
    predicted = np.arange(1, len(labels) + 1)
    # Only the last index of a run of equal probabilities is a reachable threshold.
    last_of_tie = np.r_[sorted_probabilities[1:] != sorted_probabilities[:-1], True]
    f1 = 2 * true_positives / (predicted + labels.sum())
    f1 = np.where(last_of_tie, f1, -1.0)
    return float(sorted_probabilities[int(np.argmax(f1))])


def classification_metrics(labels, probabilities, threshold: float) -> dict[str, float | int | None]:
    """ROC-AUC, PR-AUC (average precision), precision, recall and F1 at `threshold`
    (positive when probability >= threshold), Brier score. AUCs are None with one class."""
    labels = np.asarray(labels, dtype=bool)
    probabilities = np.asarray(probabilities, dtype=float)
    predicted = probabilities >= threshold
    true_positives = int((predicted & labels).sum())
    precision = true_positives / predicted.sum() if predicted.sum() else 0.0
    recall = true_positives / labels.sum() if labels.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both_classes = 0 < labels.sum() < len(labels)
    return {
        "row_count": len(labels),
        "positive_rate": float(labels.mean()) if len(labels) else None,
        "roc_auc": float(roc_auc_score(labels, probabilities)) if both_classes else None,
        "pr_auc": float(average_precision_score(labels, probabilities)) if both_classes else None,
        "threshold": float(threshold),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "brier_score": float(np.mean((probabilities - labels) ** 2)) if len(labels) else None,
    }


def calibration_bins(labels, probabilities, bin_count: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Equal-width probability bins: rows, mean predicted probability and observed positive
    rate per non-empty bin (bin 1 is [0, 0.1), the last bin includes 1)."""
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    # i / n is the float nearest to the decimal edge (0.3, 0.7), where linspace gives
    # 0.30000000000000004 and floor(p * n) puts 0.7 below 0.7. Bins are found against the
    # same edges that are reported, so every probability lies inside its bin's bounds.
    edges = np.arange(bin_count + 1) / bin_count
    index = np.clip(np.searchsorted(edges, probabilities, side="right") - 1, 0, bin_count - 1)
    rows = []
    for bin_index in range(bin_count):
        in_bin = index == bin_index
        if not in_bin.any():
            continue
        rows.append(
            {
                "bin_index": bin_index + 1,
                "bin_lower": float(edges[bin_index]),
                "bin_upper": float(edges[bin_index + 1]),
                "row_count": int(in_bin.sum()),
                # The mean of values inside the bin is inside it; float summation can land
                # one ulp outside (six times 0.8 averages to 0.7999999999999999).
                "mean_predicted_probability": float(
                    np.clip(probabilities[in_bin].mean(), edges[bin_index], edges[bin_index + 1])
                ),
                "observed_positive_rate": float(labels[in_bin].mean()),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "bin_index",
            "bin_lower",
            "bin_upper",
            "row_count",
            "mean_predicted_probability",
            "observed_positive_rate",
        ],
    )


def regression_metrics(actual, predicted) -> dict[str, float | int | None]:
    """RMSE, MAE and the mean actual and predicted values."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    if len(actual) == 0:
        return {"row_count": 0, "rmse": None, "mae": None, "mean_actual": None, "mean_predicted": None}
    error = predicted - actual
    return {
        "row_count": len(actual),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "mean_actual": float(actual.mean()),
        "mean_predicted": float(predicted.mean()),
    }


def root_mean(squared_errors, axis=-1):
    return np.sqrt(np.mean(squared_errors, axis=axis))


def paired_rmse_difference(actual, predicted, reference, seed: int) -> dict[str, float | None]:
    """RMSE(predicted) - RMSE(reference) on the same rows with its seeded paired-bootstrap 95%
    interval (ml.common.paired_difference_interval). Negative: the model errs less."""
    actual = np.asarray(actual, dtype=float)
    return paired_difference_interval(
        root_mean,
        (np.asarray(predicted, dtype=float) - actual) ** 2,
        (np.asarray(reference, dtype=float) - actual) ** 2,
        seed,
        n_resamples=BOOTSTRAP_RESAMPLES,
        batch=BOOTSTRAP_BATCH,
    )


def interval_coverage(actual, lower, upper) -> float | None:
    """The share of actual values inside [lower, upper]; None without rows."""
    actual = np.asarray(actual, dtype=float)
    if len(actual) == 0:
        return None
    return float(np.mean((actual >= np.asarray(lower, dtype=float)) & (actual <= np.asarray(upper, dtype=float))))
