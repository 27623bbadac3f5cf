"""How long a fitted segmentation stays valid: rolling monthly snapshots and bootstrap refits,
measured by the Adjusted Rand Index (ARI), and the refresh policy that follows.

Rolling snapshots: for every pair of snapshot dates m < m' of a store, the model fitted at m
(its scaling and centroids) assigns the customers as they stand at m' and a model refitted at
m' assigns them again; the ARI of the two labellings is computed on the customers present at
both dates (first order before m). Aggregated per elapsed month m' - m.
Bootstrap: the chosen model refitted on resamples (with replacement) of the fit sample of
the current features, each compared with the reference model on every customer.

Each refit applies the chosen method with the chosen k (DBSCAN: eps re-derived by its knee
rule on the refit's own data, as its k is an outcome, not a setting).

Cadence: the first elapsed month whose mean ARI is below the threshold (var
segmentation_ari_threshold, 0.8): a model must be replaced before it reaches that age.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from retail_warehouse.ml.common import log_progress, sample_positions
from retail_warehouse.ml.segmentation.clustering import MODEL, SegmentationConfig, Segmenter, refit_chosen
from retail_warehouse.ml.segmentation.features import fit_scaler, scale_features

STABILITY_COLUMNS = [
    "store",
    "comparison",
    "elapsed_months",
    "comparisons",
    "mean_ari",
    "std_ari",
    "min_ari",
    "max_ari",
    "mean_customers_compared",
    "is_below_threshold",
]


def months_between(earlier: pd.Timestamp, later: pd.Timestamp) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _fit_at(frame: pd.DataFrame, features, transforms, method: str, k: int, config: SegmentationConfig, dbscan):
    scaler = fit_scaler(frame, features, transforms)
    segmenter = refit_chosen(scale_features(frame, scaler), method, k, config, *dbscan)
    return scaler, segmenter


def rolling_ari(
    snapshots: pd.DataFrame,
    features: tuple[str, ...],
    transforms: tuple[str, ...],
    method: str,
    k: int,
    config: SegmentationConfig,
    dbscan: tuple[float | None, int | None] = (None, None),
    store: str = "",
) -> pd.DataFrame:
    """One row per pair of snapshot dates (as_of_date, later_as_of_date, elapsed_months, ari,
    customers_compared). Snapshots with fewer than max(min_customers, 5 k) customers are
    skipped (logged). Only one snapshot is held as a matrix at a time; earlier models are kept
    as their (small) scaler and centroids."""
    models: list[tuple[pd.Timestamp, object, Segmenter]] = []
    rows = []
    for as_of_date, frame in snapshots.groupby("as_of_date", sort=True):
        as_of_date = pd.Timestamp(as_of_date)
        frame = frame.sort_values("customer_key", kind="stable")
        if len(frame) < max(config.min_customers, 5 * k):
            log_progress(MODEL, f"{store}: snapshot {as_of_date.date()} has {len(frame)} customers: skipped")
            continue
        scaler, segmenter = _fit_at(frame, features, transforms, method, k, config, dbscan)
        refitted, _, _ = segmenter.predict(scale_features(frame, scaler), config.predict_chunk_size)
        first_order = pd.to_datetime(frame["first_order_date"]).to_numpy()
        for earlier_date, earlier_scaler, earlier_segmenter in models:
            present = first_order < earlier_date.to_datetime64()
            if present.sum() < 2:
                continue
            kept, _, _ = earlier_segmenter.predict(
                scale_features(frame.loc[present], earlier_scaler), config.predict_chunk_size
            )
            rows.append(
                {
                    "as_of_date": earlier_date.date(),
                    "later_as_of_date": as_of_date.date(),
                    "elapsed_months": months_between(earlier_date, as_of_date),
                    "ari": float(adjusted_rand_score(kept, refitted[present])),
                    "customers_compared": int(present.sum()),
                }
            )
        models.append((as_of_date, scaler, segmenter))
    return pd.DataFrame(rows, columns=["as_of_date", "later_as_of_date", "elapsed_months", "ari", "customers_compared"])


def bootstrap_ari(
    matrix: np.ndarray,
    reference: Segmenter,
    method: str,
    k: int,
    resamples: int,
    config: SegmentationConfig,
    dbscan: tuple[float | None, int | None] = (None, None),
) -> list[float]:
    """ARI between the reference model and the model refitted on each bootstrap resample of
    the fit sample, both assigning every customer."""
    reference_labels, _, _ = reference.predict(matrix, config.predict_chunk_size)
    fit_matrix = matrix[sample_positions(len(matrix), config.fit_sample_size, config.seed)]
    generator = np.random.default_rng(config.seed + 2)
    scores = []
    for _ in range(resamples):
        resample = fit_matrix[np.sort(generator.integers(0, len(fit_matrix), len(fit_matrix)))]
        refitted = refit_chosen(resample, method, k, config, *dbscan)
        labels, _, _ = refitted.predict(matrix, config.predict_chunk_size)
        scores.append(float(adjusted_rand_score(reference_labels, labels)))
    return scores


def stability_frame(store: str, pairs: pd.DataFrame, bootstrap: list[float], threshold: float) -> pd.DataFrame:
    """Rows of ml.segment_stability: bootstrap (elapsed 0) and rolling snapshots per elapsed month."""
    rows = []
    if bootstrap:
        rows.append(_aggregate(store, "bootstrap", 0, np.array(bootstrap), None, threshold))
    for elapsed, group in pairs.groupby("elapsed_months", sort=True):
        rows.append(
            _aggregate(
                store, "rolling_snapshot", int(elapsed), group["ari"].to_numpy(), group["customers_compared"], threshold
            )
        )
    return pd.DataFrame(rows, columns=STABILITY_COLUMNS)


def _aggregate(store, comparison, elapsed, scores: np.ndarray, customers, threshold) -> dict:
    return {
        "store": store,
        "comparison": comparison,
        "elapsed_months": elapsed,
        "comparisons": len(scores),
        "mean_ari": float(scores.mean()),
        "std_ari": float(scores.std()),
        "min_ari": float(scores.min()),
        "max_ari": float(scores.max()),
        "mean_customers_compared": float(customers.mean()) if customers is not None else None,
        "is_below_threshold": bool(scores.mean() < threshold),
    }


def refresh_cadence(stability: pd.DataFrame, threshold: float) -> tuple[int | None, int]:
    """(first elapsed month with mean rolling ARI below threshold or None, last elapsed month
    measured) for one store."""
    rolling = stability[stability["comparison"] == "rolling_snapshot"].sort_values("elapsed_months")
    below = rolling[rolling["mean_ari"] < threshold]
    horizon = int(rolling["elapsed_months"].max()) if len(rolling) else 0
    return (int(below["elapsed_months"].iloc[0]) if len(below) else None), horizon


def refresh_policy(store: str, stability: pd.DataFrame, threshold: float, method: str, k: int) -> pd.DataFrame:
    """Rows of ml.segment_refresh_policy for one store: the maintenance contract."""
    cadence, horizon = refresh_cadence(stability, threshold)
    rolling = stability[stability["comparison"] == "rolling_snapshot"].sort_values("elapsed_months")
    bootstrap = stability[stability["comparison"] == "bootstrap"]
    curve = "; ".join(f"{int(r.elapsed_months)} mo {r.mean_ari:.2f}" for r in rolling.itertuples())
    if cadence is not None:
        refit_every = cadence
        cadence_text = (
            f"Refit at least every {cadence} month(s): at {cadence} elapsed month(s) the mean ARI between "
            f"the old model and a refit first falls below {threshold}."
        )
    elif horizon:
        refit_every = horizon
        cadence_text = (
            f"Refit at least every {horizon} months: the mean ARI stays at or above {threshold} over the "
            f"{horizon} months the snapshots cover, so longer is not measured."
        )
    else:
        refit_every = None
        cadence_text = "No cadence measured (too few snapshots): refit on every build."
    bootstrap_mean = float(bootstrap["mean_ari"].iloc[0]) if len(bootstrap) else None
    clauses = [
        ("cadence", cadence_text),
        (
            "what_is_rerun",
            f"Re-run `dbt build --select +python_models/segmentation` after customer_features is rebuilt: "
            f"feature choice, model selection (current: {method}, k = {k}), customer_segments, "
            "segment_profiles (names and actions are re-derived by rule), outliers, stability and this policy.",
        ),
        (
            "early_refit_triggers",
            "Refit before the cadence when any holds: a segment's customer share in ml.segment_profiles "
            "moves by more than 10 percentage points between two builds; customers first seen since the last "
            "fit exceed 20% of the store; the feature choice in ml.segmentation_features changes; the "
            f"bootstrap ARI falls below {threshold}; or the business changes (new market, channel, pricing).",
        ),
        (
            "evidence",
            f"Mean rolling-snapshot ARI by elapsed month: {curve or 'not measured'}. "
            + (
                f"Bootstrap ARI (refits on resamples of the current customers): {bootstrap_mean:.2f}"
                + (
                    " - below the threshold: the segmentation is unstable even without drift; treat names as indicative."
                    if bootstrap_mean < threshold
                    else "."
                )
                if bootstrap_mean is not None
                else "Bootstrap ARI not measured."
            ),
        ),
        (
            "downstream",
            "After a refit, segment ids and names may change: campaigns keyed on segment_name must be "
            "re-checked against ml.segment_profiles before they are sent.",
        ),
    ]
    return pd.DataFrame(
        [
            {
                "store": store,
                "clause_order": order,
                "clause": clause,
                "policy_text": text,
                "refit_every_months": refit_every,
                "first_month_below_threshold": cadence,
                "ari_threshold": threshold,
                "bootstrap_mean_ari": bootstrap_mean,
            }
            for order, (clause, text) in enumerate(clauses, start=1)
        ]
    ).astype({"refit_every_months": "Int64", "first_month_below_threshold": "Int64", "bootstrap_mean_ari": "float64"})
