"""Which customer features the segmentation uses, per store, and how they are scaled.

The rule (recorded per store in ml.segmentation_features):

1. Candidates, in this order: recency_days, frequency, monetary, avg_basket_amount,
   distinct_product_count, tenure_days, return_rate, mean_days_between_orders and, where the
   store has them (Olist), mean_review_score, late_delivery_share, mean_installments.
2. A candidate is dropped when more than `max_null_share` of the customers have no value
   (all-null review scores on the real Olist files, the gap between orders of one-order
   customers), when one value covers at least `max_modal_share` of the customers (near
   constant: Olist frequency, where 97% buy once), or when it is almost a copy of a kept
   earlier candidate (|Pearson r| >= `max_abs_correlation` after the transform: Olist tenure
   equals recency for every one-order customer).
3. Amounts and counts that are skewed (skewness > `skew_threshold`) are log-transformed:
   log1p for non-negative values, sign(x) * log1p(|x|) for values that can be negative
   (Online Retail net revenue after returns). Rates and scores stay linear.
4. Robust scaling: (x - median) / IQR, with the standard deviation when the IQR is 0 (a
   feature where most customers share one value), then clipped to [-SCALED_CLIP, SCALED_CLIP]:
   a zero-inflated feature (Online Retail return rate: IQR 0.01) would otherwise put a
   customer 90 units away and give a handful of customers a cluster of their own. They stay
   far from every centroid and are flagged as outliers. Missing values of kept features are
   set to the median, which is 0 after scaling.

The choice is made once per store on the current features and then kept fixed for that
store's refits (the stability study refits the scaling, not the choice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import hash_sample_positions

# In order of precedence: a feature redundant with an earlier kept one is dropped.
CANDIDATE_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_basket_amount",
    "distinct_product_count",
    "tenure_days",
    "return_rate",
    "mean_days_between_orders",
    "mean_review_score",
    "late_delivery_share",
    "mean_installments",
)
SCALED_CLIP = 4.0
# Bounded rates and scores: never log-transformed.
LINEAR_FEATURES = frozenset({"return_rate", "mean_review_score", "late_delivery_share"})


@dataclass(frozen=True)
class FeatureRules:
    max_null_share: float = 0.2
    max_modal_share: float = 0.95
    max_abs_correlation: float = 0.95
    skew_threshold: float = 1.0
    # Statistics of the rule are measured on at most this many customers (seeded sample).
    sample_size: int = 50_000


@dataclass(frozen=True)
class FeatureDecision:
    """What the rule decided for one candidate feature of one store."""

    feature: str
    transform: str  # log1p, signed_log1p, identity
    is_used: bool
    reason: str
    null_share: float | None
    modal_share: float | None
    skewness: float | None


@dataclass(frozen=True)
class FeatureScaler:
    """Per-feature transform, centre and scale, fitted on one set of customers."""

    features: tuple[str, ...]
    transforms: tuple[str, ...]
    centers: np.ndarray
    scales: np.ndarray


def derive_features(features: pd.DataFrame) -> pd.DataFrame:
    """Numeric candidate columns as float64 (decimals converted), plus late_delivery_share =
    late deliveries / delivered orders (null without a delivered order)."""
    frame = features.copy()
    if {"late_delivery_count", "delivered_order_count"} <= set(frame.columns):
        delivered = pd.to_numeric(frame["delivered_order_count"], errors="coerce").astype("float64")
        late = pd.to_numeric(frame["late_delivery_count"], errors="coerce").astype("float64")
        frame["late_delivery_share"] = late / delivered.where(delivered > 0)
    for column in CANDIDATE_FEATURES:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column].astype("float64"), errors="coerce")
    return frame


def apply_transform(values: np.ndarray, transform: str) -> np.ndarray:
    if transform == "log1p":
        return np.log1p(np.clip(values, 0.0, None))
    if transform == "signed_log1p":
        return np.sign(values) * np.log1p(np.abs(values))
    if transform == "identity":
        return values
    raise ValueError(f"unknown transform {transform!r}")


def _skewness(values: np.ndarray) -> float:
    spread = values.std()
    if spread == 0:
        return 0.0
    return float(np.mean(((values - values.mean()) / spread) ** 3))


def _modal_share(values: np.ndarray) -> float:
    _, counts = np.unique(values, return_counts=True)
    return float(counts.max() / len(values))


def choose_features(frame: pd.DataFrame, seed: int, rules: FeatureRules = FeatureRules()) -> list[FeatureDecision]:
    """Apply the rule of the module docstring to one store's derived features, measured on a
    seeded hash sample of at most rules.sample_size customers (by customer_key: one new
    customer does not reshuffle the sample)."""
    frame = frame.iloc[hash_sample_positions(frame["customer_key"], rules.sample_size, seed)]
    decisions: list[FeatureDecision] = []
    kept_columns: list[np.ndarray] = []
    for feature in CANDIDATE_FEATURES:
        if feature not in frame.columns:
            continue
        raw = frame[feature].to_numpy(dtype="float64")
        known = raw[~np.isnan(raw)]
        null_share = 1.0 - len(known) / len(raw) if len(raw) else 1.0
        if len(known) == 0:
            decisions.append(FeatureDecision(feature, "identity", False, "all null", null_share, None, None))
            continue
        modal_share = _modal_share(known)
        skewness = _skewness(known)
        if feature in LINEAR_FEATURES or skewness <= rules.skew_threshold:
            transform = "identity"
        else:
            transform = "signed_log1p" if known.min() < 0 else "log1p"

        measured = {"null_share": null_share, "modal_share": modal_share, "skewness": skewness}

        def decided(
            is_used: bool, reason: str, transform: str = transform, feature: str = feature, measured: dict = measured
        ) -> FeatureDecision:
            return FeatureDecision(feature, transform, is_used, reason, **measured)

        if null_share > rules.max_null_share:
            decisions.append(decided(False, f"null for {null_share:.1%} of customers (> {rules.max_null_share:.0%})"))
            continue
        if modal_share >= rules.max_modal_share:
            decisions.append(
                decided(False, f"near constant: one value covers {modal_share:.1%} (>= {rules.max_modal_share:.0%})")
            )
            continue
        transformed = apply_transform(np.where(np.isnan(raw), np.nanmedian(raw), raw), transform)
        redundant_with = None
        for earlier, column in zip([d.feature for d in decisions if d.is_used], kept_columns):
            correlation = np.corrcoef(transformed, column)[0, 1]
            if np.isfinite(correlation) and abs(correlation) >= rules.max_abs_correlation:
                redundant_with = (earlier, correlation)
                break
        if redundant_with is not None:
            decisions.append(decided(False, f"redundant with {redundant_with[0]} (r = {redundant_with[1]:.3f})"))
            continue
        kept_columns.append(transformed)
        reason = "used, skewed: log transform" if transform != "identity" else "used, linear"
        decisions.append(decided(True, reason))
    return decisions


def used_features(decisions: list[FeatureDecision]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    used = [d for d in decisions if d.is_used]
    return tuple(d.feature for d in used), tuple(d.transform for d in used)


def fit_scaler(frame: pd.DataFrame, features: tuple[str, ...], transforms: tuple[str, ...]) -> FeatureScaler:
    centers, scales = [], []
    for feature, transform in zip(features, transforms):
        raw = frame[feature].to_numpy(dtype="float64")
        values = apply_transform(raw[~np.isnan(raw)], transform)
        if len(values) == 0:
            centers.append(0.0)
            scales.append(1.0)
            continue
        q25, median, q75 = np.quantile(values, [0.25, 0.5, 0.75])
        scale = q75 - q25
        if scale <= 0:
            scale = values.std()
        centers.append(float(median))
        scales.append(float(scale) if scale > 0 else 1.0)
    return FeatureScaler(features, transforms, np.array(centers), np.array(scales))


def scale_features(frame: pd.DataFrame, scaler: FeatureScaler) -> np.ndarray:
    """The customers x features matrix (float64) the clustering sees: transformed, robust-scaled,
    clipped; missing values -> 0 (the median)."""
    matrix = np.empty((len(frame), len(scaler.features)), dtype="float64")
    for position, (feature, transform) in enumerate(zip(scaler.features, scaler.transforms)):
        values = apply_transform(frame[feature].to_numpy(dtype="float64"), transform)
        matrix[:, position] = (values - scaler.centers[position]) / scaler.scales[position]
    np.nan_to_num(matrix, copy=False, nan=0.0)
    return np.clip(matrix, -SCALED_CLIP, SCALED_CLIP, out=matrix)


def decisions_frame(store: str, decisions: list[FeatureDecision], scaler: FeatureScaler | None) -> pd.DataFrame:
    """Rows of ml.segmentation_features for one store."""
    position = {feature: i for i, feature in enumerate(scaler.features)} if scaler else {}
    rows = []
    for order, decision in enumerate(decisions, start=1):
        index = position.get(decision.feature)
        rows.append(
            {
                "store": store,
                "feature": decision.feature,
                "candidate_order": order,
                "is_used": decision.is_used,
                "transform": decision.transform,
                "reason": decision.reason,
                "null_share": decision.null_share,
                "modal_share": decision.modal_share,
                "skewness": decision.skewness,
                "center": float(scaler.centers[index]) if index is not None else None,
                "scale": float(scaler.scales[index]) if index is not None else None,
            }
        )
    return pd.DataFrame(rows)
