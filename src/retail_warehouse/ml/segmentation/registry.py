"""Fit on schedule, score every build: the segmentation model registry (schema ml_registry).

A build refits a store's segmentation only when `decide` says so; otherwise customer_segments
loads the registered model (the feature choice, the fitted scaler, the segmenter and the model
selection that chose it, pickled into one BLOB) and assigns every customer with it.

`decide` refits when (every reason that holds is written, in this order):
- var ml_refit is true;
- no model is registered for the store, or the registered one cannot be loaded;
- the input schema changed (the customer_features columns and types the segmentation reads);
- scikit-learn / numpy / scipy / pandas changed version since the fit;
- the model is due: fitted_at + the cadence. The cadence is the one ml.segment_refresh_policy
  measured for the registered model (refit_every_months, as 30-day months) and, when the
  policy measured none (too few snapshots, refit noise or drift under one month), var
  segmentation_refit_days;
- early-refit trigger, computed on this build: the ARI, on the seeded fit sample, between the
  registered model's assignment and the same method refitted on today's customers is below var
  segmentation_ari_threshold (drift that the monthly cadence would catch late).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sklearn.metrics import adjusted_rand_score

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.registry import (
    MODEL_FORMAT,
    Decision,
    Registered,
    as_registered,
    dump,
    empty_like,
    input_fingerprint,
    input_schema_hash,
    latest_versions,
)
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig, Segmenter, _samples, refit_chosen
from retail_warehouse.ml.segmentation.features import FeatureDecision, FeatureScaler, scale_features

__all__ = [
    "MODEL_FORMAT",
    "Decision",
    "Registered",
    "as_registered",
    "dump",
    "empty_like",
    "input_fingerprint",
    "input_schema_hash",
    "latest_versions",
]

MODEL_NAME = "customer_segments"
LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas")
DAYS_PER_MONTH = 30
# The newest registered model of each store, as a query on the relation of
# ml_registry.segmentation_models named `registry` (the models that score read only it).
LATEST_MODELS = "select store, version, model_bytes from registry qualify row_number() over (partition by store order by version desc) = 1"
# The policy statuses with a cadence in months (stability.cadence_reading).
MONTHLY_STATUSES = ("measured", "beyond_horizon")


def library_versions() -> str:
    """The versions of the libraries a pickled segmentation depends on, as sorted JSON."""
    return shared.library_versions(LIBRARIES)


@dataclass
class FittedSegmentation:
    """What customer_segments needs to assign, and what the selection tables show."""

    decisions: list[FeatureDecision]
    scaler: FeatureScaler
    segmenter: Segmenter | None
    selection: pd.DataFrame  # rows of ml.segmentation_model_selection for the store


def load(blob: bytes) -> FittedSegmentation:
    return shared.load(blob, FittedSegmentation)


def cadence_days(policy: pd.DataFrame, fallback_days: int) -> tuple[int, str]:
    """(days between fits, where the figure comes from) for one store's policy rows."""
    if len(policy):
        row = policy.iloc[0]
        months = row.get("refit_every_months")
        if row.get("cadence_status") in MONTHLY_STATUSES and pd.notna(months) and int(months) > 0:
            return int(months) * DAYS_PER_MONTH, f"segment_refresh_policy: every {int(months)} month(s)"
        return fallback_days, (
            f"var segmentation_refit_days ({fallback_days} days): segment_refresh_policy measured no cadence in "
            f"months ({row.get('cadence_status')})"
        )
    return fallback_days, f"var segmentation_refit_days ({fallback_days} days): no segment_refresh_policy yet"


def decide(
    registered: Registered | None,
    *,
    now: datetime,
    cadence: int,
    schema_hash: str,
    libraries: str,
    force: bool,
    load_error: str | None = None,
    refit_ari: float | None = None,
    ari_threshold: float = 0.8,
) -> Decision:
    """Refit or score one store on this build (module docstring; retail_warehouse.ml.registry.decide
    with the ARI of a sample refit as the early-refit trigger)."""
    fired = refit_ari is not None and refit_ari < ari_threshold
    trigger = f"early refit: ARI of a refit on this build's sample {refit_ari:.3f} < {ari_threshold}" if fired else None
    ari_text = "not computed" if refit_ari is None else f"{refit_ari:.3f} >= {ari_threshold}"
    return shared.decide(
        registered,
        now=now,
        cadence=cadence,
        schema_hash=schema_hash,
        libraries=libraries,
        force=force,
        load_error=load_error,
        triggers=(trigger,) if trigger else (),
        checks=(f"ARI of a refit on this build's sample {ari_text}",),
    )


def refit_ari(fitted: FittedSegmentation, frame: pd.DataFrame, config: SegmentationConfig) -> float | None:
    """The early-refit trigger: ARI, on this build's seeded fit sample, between the registered
    model's labels and those of the same method and k refitted on today's customers (scaled as
    the registered model scales them; DBSCAN re-derives eps by its rule). None without a model."""
    segmenter = fitted.segmenter
    if segmenter is None or len(frame) == 0:
        return None
    matrix = scale_features(frame, fitted.scaler)
    keys = frame["customer_key"].to_numpy()
    refitted = refit_chosen(matrix, segmenter.method, segmenter.k, config, keys=keys)
    fit_matrix, _ = _samples(matrix, config, keys)
    registered_labels = segmenter.predict(fit_matrix, config.predict_chunk_size)[0]
    refitted_labels = refitted.predict(fit_matrix, config.predict_chunk_size)[0]
    return float(adjusted_rand_score(registered_labels, refitted_labels))


def chosen_metrics(selection: pd.DataFrame) -> dict[str, float | None]:
    """The validation metrics of the chosen row, as the selection reports them."""
    chosen = selection[selection["is_chosen"]]
    row = chosen.iloc[0] if len(chosen) else None
    names = ("silhouette", "davies_bouldin", "calinski_harabasz", "bootstrap_ari")
    return {name: (None if row is None or pd.isna(row[name]) else float(row[name])) for name in names}
