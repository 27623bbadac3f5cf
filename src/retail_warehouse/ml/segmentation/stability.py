"""How long a fitted segmentation stays valid: rolling monthly snapshots and bootstrap refits,
measured by the Adjusted Rand Index (ARI), and the refresh policy that follows.

Rolling snapshots: for every pair of snapshot dates m < m' of a store, the model fitted at m
(its scaling and centroids) assigns the customers as they stand at m' and a model refitted at
m' assigns them again; the ARI of the two labellings is computed on the customers present at
both dates (first order before m). Aggregated per elapsed month m' - m. Elapsed month 0 is
the refit noise: at every snapshot, the model compared with a refit on a bootstrap resample
of the same snapshot (same customers, same day), so the drift curve is read against what a
refit changes when no customer has changed.
Bootstrap: the chosen model refitted on resamples (with replacement) of the fit sample of
the current features, each compared with the reference model on every customer; reported
with its 95% percentile interval.

Each refit applies the chosen method with the chosen k (DBSCAN: eps re-derived by its knee
rule on the refit's own data, as its k is an outcome, not a setting).

Cadence (refresh_cadence): the first elapsed month whose mean ARI is below the threshold (var
segmentation_ari_threshold, 0.8): a model must be replaced before it reaches that age. Two
readings are not a cadence: when the refit noise at month 0 is itself below the threshold,
a refit on unchanged customers already disagrees and drift cannot be told from noise; when
the first elapsed month is already below, the cadence is under one month, which monthly
snapshots cannot measure. The policy says so instead of publishing the resolution floor.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from retail_warehouse.ml.common import hash_sample_positions, log_progress
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
    "ari_ci_lower",
    "ari_ci_upper",
    "mean_customers_compared",
    "is_below_threshold",
]


def months_between(earlier: pd.Timestamp, later: pd.Timestamp) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


NOISE_RESAMPLE_SEED_OFFSET = 5


def _fit_at(frame: pd.DataFrame, features, transforms, method: str, k: int, config: SegmentationConfig, dbscan):
    scaler = fit_scaler(frame, features, transforms)
    matrix = scale_features(frame, scaler)
    segmenter = refit_chosen(matrix, method, k, config, *dbscan, keys=frame["customer_key"].to_numpy())
    return scaler, matrix, segmenter


def _refit_noise(matrix: np.ndarray, keys, segmenter: Segmenter, method, k, config, dbscan, generator) -> float:
    """ARI between a snapshot's model and a refit on one bootstrap resample of its fit sample,
    both assigning every customer of the snapshot."""
    fit_matrix = matrix[hash_sample_positions(keys, config.fit_sample_size, config.seed)]
    resample = fit_matrix[np.sort(generator.integers(0, len(fit_matrix), len(fit_matrix)))]
    refitted = refit_chosen(resample, method, k, config, *dbscan)
    return float(
        adjusted_rand_score(
            segmenter.predict(matrix, config.predict_chunk_size)[0],
            refitted.predict(matrix, config.predict_chunk_size)[0],
        )
    )


def rolling_ari(
    snapshots: Iterable[tuple[object, pd.DataFrame]],
    features: tuple[str, ...],
    transforms: tuple[str, ...],
    method: str,
    k: int,
    config: SegmentationConfig,
    dbscan: tuple[float | None, int | None] = (None, None),
    store: str = "",
) -> pd.DataFrame:
    """One row per pair of snapshot dates (as_of_date, later_as_of_date, elapsed_months, ari,
    customers_compared), and per snapshot one elapsed-0 row: the refit noise. `snapshots`:
    (as_of_date, that snapshot's customers) in date order, e.g. a groupby on as_of_date, or
    frames read one at a time from DuckDB (tables.segment_stability). Snapshots with fewer
    than max(min_customers, 5 k) customers are skipped (logged). Only one snapshot is held
    as a matrix at a time; earlier models are kept as their (small) scaler and centroids."""
    models: list[tuple[pd.Timestamp, object, Segmenter]] = []
    rows = []
    generator = np.random.default_rng(config.seed + NOISE_RESAMPLE_SEED_OFFSET)
    for as_of_date, frame in snapshots:
        as_of_date = pd.Timestamp(as_of_date)
        frame = frame.sort_values("customer_key", kind="stable")
        if len(frame) < max(config.min_customers, 5 * k):
            log_progress(MODEL, f"{store}: snapshot {as_of_date.date()} has {len(frame)} customers: skipped")
            continue
        scaler, matrix, segmenter = _fit_at(frame, features, transforms, method, k, config, dbscan)
        refitted, _, _ = segmenter.predict(matrix, config.predict_chunk_size)
        keys = frame["customer_key"].to_numpy()
        noise = _refit_noise(matrix, keys, segmenter, method, k, config, dbscan, generator)
        rows.append(
            {
                "as_of_date": as_of_date.date(),
                "later_as_of_date": as_of_date.date(),
                "elapsed_months": 0,
                "ari": noise,
                "customers_compared": len(frame),
            }
        )
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
    keys=None,
) -> list[float]:
    """ARI between the reference model and the model refitted on each bootstrap resample of
    the fit sample (chosen by the hash of keys, as the reference's), both assigning every
    customer."""
    reference_labels, _, _ = reference.predict(matrix, config.predict_chunk_size)
    keys = np.arange(len(matrix)) if keys is None else keys
    fit_matrix = matrix[hash_sample_positions(keys, config.fit_sample_size, config.seed)]
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
        "ari_ci_lower": float(np.quantile(scores, 0.025)),
        "ari_ci_upper": float(np.quantile(scores, 0.975)),
        "mean_customers_compared": float(customers.mean()) if customers is not None else None,
        "is_below_threshold": bool(scores.mean() < threshold),
    }


UNDER_ONE_MONTH = "under one month: not measurable with monthly snapshots"


def refresh_cadence(stability: pd.DataFrame, threshold: float) -> tuple[int | None, int]:
    """(first elapsed month >= 1 with mean rolling ARI below threshold or None, last elapsed
    month measured) for one store."""
    rolling = stability[(stability["comparison"] == "rolling_snapshot") & (stability["elapsed_months"] > 0)]
    rolling = rolling.sort_values("elapsed_months")
    below = rolling[rolling["mean_ari"] < threshold]
    horizon = int(rolling["elapsed_months"].max()) if len(rolling) else 0
    return (int(below["elapsed_months"].iloc[0]) if len(below) else None), horizon


def refit_noise(stability: pd.DataFrame) -> float | None:
    """Mean ARI of the elapsed-0 rolling rows: what a refit changes on unchanged customers."""
    noise = stability[(stability["comparison"] == "rolling_snapshot") & (stability["elapsed_months"] == 0)]
    return float(noise["mean_ari"].iloc[0]) if len(noise) else None


def cadence_reading(stability: pd.DataFrame, threshold: float) -> tuple[str, int | None, str]:
    """(cadence_status, refit_every_months, the cadence clause) for one store:
    - noise_below_threshold: the refit noise at month 0 is already below the threshold;
    - under_one_month: the first elapsed month is below the threshold (UNDER_ONE_MONTH);
    - measured: the first elapsed month below the threshold, > 1;
    - beyond_horizon: never below over the months measured (refit at least at the horizon);
    - not_measured: too few snapshots."""
    cadence, horizon = refresh_cadence(stability, threshold)
    noise = refit_noise(stability)
    if not horizon:
        return "not_measured", None, "No cadence measured (too few snapshots): refit on every build."
    if noise is not None and noise < threshold:
        return (
            "noise_below_threshold",
            None,
            (
                f"No cadence: a refit on the same customers on the same day already agrees with the model only at "
                f"ARI {noise:.2f} (< {threshold}), so drift cannot be told from refit noise. Refit on every build "
                "and treat segment names as indicative."
            ),
        )
    if cadence == 1:
        return (
            "under_one_month",
            None,
            (
                f"Cadence {UNDER_ONE_MONTH}: one month after a fit the mean ARI with a refit is already below "
                f"{threshold} (refit noise at month 0: {_fmt(noise)}). Refit on every build; weekly snapshots would "
                "be needed to measure it."
            ),
        )
    if cadence is not None:
        return (
            "measured",
            cadence - 1,
            (
                f"Refit at least every {cadence - 1} month(s): at {cadence} elapsed months the mean ARI between the "
                f"old model and a refit first falls below {threshold} (refit noise at month 0: {_fmt(noise)})."
            ),
        )
    return (
        "beyond_horizon",
        horizon,
        (
            f"Refit at least every {horizon} months: the mean ARI stays at or above {threshold} over the {horizon} "
            f"months the snapshots cover (refit noise at month 0: {_fmt(noise)}), so longer is not measured."
        ),
    )


def _fmt(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2f}"


def refresh_policy(
    store: str, stability: pd.DataFrame, threshold: float, method: str, k: int, refit_days: int | None = None
) -> pd.DataFrame:
    """Rows of ml.segment_refresh_policy for one store: the maintenance contract. refit_days: the
    cadence the build keeps when none is measured in months (var segmentation_refit_days)."""
    cadence, _ = refresh_cadence(stability, threshold)
    status, refit_every, cadence_text = cadence_reading(stability, threshold)
    if refit_days is not None:
        if refit_every is None:
            every = f"Refit every {refit_days} days (var segmentation_refit_days)"
            cadence_text = cadence_text.replace("Refit on every build", every).replace("refit on every build", every)
        cadence_text += (
            " Kept by `dbt build`: each build refits only when the registered model "
            "(ml_registry.segmentation_models) is due by this cadence, its input schema or library versions "
            f"changed, a refit on the build's seeded sample agrees with it at ARI < {threshold}, or var ml_refit is "
            "true; otherwise it scores with the registered model (ml_registry.segmentation_refit_decisions, "
            "ml.model_refresh_log)."
        )
    rolling = stability[stability["comparison"] == "rolling_snapshot"].sort_values("elapsed_months")
    bootstrap = stability[stability["comparison"] == "bootstrap"]
    curve = "; ".join(f"{int(r.elapsed_months)} mo {r.mean_ari:.2f}" for r in rolling.itertuples())
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
            f"Mean rolling-snapshot ARI by elapsed month (0 = refit noise): {curve or 'not measured'}. "
            + (
                f"Bootstrap ARI (refits on resamples of the current customers): {bootstrap_mean:.2f} "
                f"(95% interval {bootstrap['ari_ci_lower'].iloc[0]:.2f}-{bootstrap['ari_ci_upper'].iloc[0]:.2f} "
                f"over {int(bootstrap['comparisons'].iloc[0])} refits)"
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
                "cadence_status": status,
                "refit_noise_ari": refit_noise(stability),
            }
            for order, (clause, text) in enumerate(clauses, start=1)
        ]
    ).astype(
        {
            "refit_every_months": "Int64",
            "first_month_below_threshold": "Int64",
            "bootstrap_mean_ari": "float64",
            "refit_noise_ari": "float64",
        }
    )
