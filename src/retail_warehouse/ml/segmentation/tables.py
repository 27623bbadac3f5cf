"""One function per dbt model of python_models/segmentation/: each takes the marts as pandas
frames, loops over the stores present (sorted, so the output never depends on query order)
and returns the model's table, on one BLAS / OpenMP thread (common.single_threaded: the same
input gives the same table on any machine). A store may be absent or tiny: it then gets one
segment and a 'none' model row, with the reason logged.

The models read only the columns of customer_features (and of its snapshots) named in
CUSTOMER_COLUMNS / SNAPSHOT_COLUMNS / OUTLIER_COLUMNS, projected in DuckDB; the snapshots (one
row per customer and month end) come as a DuckDB relation, read one month at a time."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retail_warehouse.ml.common import (
    SCORING_STATE_COLUMNS,
    as_of_scoring_date,
    log_progress,
    single_threaded,
    timed_step,
)
from retail_warehouse.ml.segmentation.clustering import (
    MODEL,
    SELECTION_COLUMNS,
    SegmentationConfig,
    assign,
    refit_chosen,
    select_model,
    selection_frame,
)
from retail_warehouse.ml.segmentation.features import (
    FeatureDecision,
    FeatureScaler,
    choose_features,
    decisions_frame,
    derive_features,
    fit_scaler,
    scale_features,
    used_features,
)
from retail_warehouse.ml.segmentation.profiles import PROFILE_COLUMNS, profile_segments
from retail_warehouse.ml.segmentation.stability import (
    STABILITY_COLUMNS,
    bootstrap_ari,
    refresh_policy,
    rolling_ari,
    stability_frame,
)

# The columns of marts.customer_features the tables read: the candidate features and what
# derives late_delivery_share (features.py), the keys, the currency for the profiles, and the
# state on the scoring day (the day after the data end, common.as_of_scoring_date), which
# recency and tenure are read as of, as churn and value do.
CUSTOMER_COLUMNS = ", ".join(
    (
        "store, customer_key, customer_id, currency_code, recency_days, frequency, monetary, avg_basket_amount, "
        "distinct_product_count, tenure_days, return_rate, mean_days_between_orders, mean_review_score, "
        "mean_installments, delivered_order_count, late_delivery_count",
        *SCORING_STATE_COLUMNS,
    )
)
# marts.customer_feature_snapshots carries the core measures only.
SNAPSHOT_COLUMNS = (
    "store, customer_key, as_of_date, first_order_date, recency_days, frequency, monetary, avg_basket_amount, "
    "tenure_days, return_rate, mean_days_between_orders"
)
OUTLIER_COLUMNS = ", ".join(("customer_key, recency_days, frequency, monetary, currency_code", *SCORING_STATE_COLUMNS))


@dataclass
class PreparedStore:
    store: str
    frame: pd.DataFrame  # derived features as of the scoring day, scorable customers, sorted by customer_key
    unscored: pd.DataFrame  # the customers with a sale order after the data end, with unscored_reason
    decisions: list[FeatureDecision]
    features: tuple[str, ...]
    transforms: tuple[str, ...]
    scaler: FeatureScaler
    matrix: np.ndarray

    @property
    def keys(self) -> np.ndarray:
        """The customer keys of the matrix rows: the samples are chosen by their hash."""
        return self.frame["customer_key"].to_numpy()


def stack_store_frames(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The per-store frames stacked, in `columns`; an empty table of those columns when no
    store was present."""
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def scoring_day_features(customer_features: pd.DataFrame) -> pd.DataFrame:
    """The derived features as of the scoring day (common.as_of_scoring_date), every customer."""
    return derive_features(as_of_scoring_date(customer_features))


def split_scorable(customer_features: pd.DataFrame, store: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One store's derived features as of the scoring day: the scorable customers sorted by
    customer_key, and the unscorable ones (a sale order after the data end) aside."""
    every = scoring_day_features(customer_features[customer_features["store"] == store])
    scorable = every["is_scorable"].to_numpy(dtype=bool)
    unscored = every.loc[~scorable, ["store", "customer_key", "customer_id", "as_of_date", "unscored_reason"]]
    frame = every[scorable].sort_values("customer_key", kind="stable").reset_index(drop=True)
    return frame, unscored


def prepare_stores(customer_features: pd.DataFrame, config: SegmentationConfig) -> list[PreparedStore]:
    """Per store: the derived features as of the scoring day of the scorable customers sorted by
    customer_key, the feature choice, the scaled matrix; the unscorable customers aside."""
    prepared = []
    for store in sorted(customer_features["store"].unique()):
        frame, unscored = split_scorable(customer_features, store)
        decisions = choose_features(frame, seed=config.seed)
        features, transforms = used_features(decisions)
        scaler = fit_scaler(frame, features, transforms)
        prepared.append(
            PreparedStore(
                store, frame, unscored, decisions, features, transforms, scaler, scale_features(frame, scaler)
            )
        )
        log_progress(
            MODEL,
            f"{store}: {len(frame)} customers as of the scoring day ({len(unscored)} with a sale order after the data "
            f"end left unscored), features {', '.join(features) or 'none'}",
        )
    return prepared


@single_threaded()
def segmentation_features(customer_features: pd.DataFrame, config: SegmentationConfig) -> pd.DataFrame:
    """ml.segmentation_features: every candidate feature per store, used or not and why."""
    frames = [decisions_frame(p.store, p.decisions, p.scaler) for p in prepare_stores(customer_features, config)]
    return pd.concat(frames, ignore_index=True) if frames else decisions_frame("", [], None)


@single_threaded()
def segmentation_model_selection(customer_features: pd.DataFrame, config: SegmentationConfig) -> pd.DataFrame:
    """ml.segmentation_model_selection."""
    frames = []
    for prepared in prepare_stores(customer_features, config):
        with timed_step(MODEL, f"{prepared.store}: model selection"):
            selection = select_model(prepared.matrix, config, prepared.store, keys=prepared.keys)
        frames.append(selection_frame(prepared.store, selection, prepared.features))
    if not frames:
        return pd.DataFrame(columns=SELECTION_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _chosen_row(selection: pd.DataFrame, store: str) -> pd.Series | None:
    chosen = selection[(selection["store"] == store) & selection["is_chosen"]]
    return None if chosen.empty or chosen.iloc[0]["method"] == "none" else chosen.iloc[0]


def _dbscan_parameters(row: pd.Series) -> tuple[float | None, int | None]:
    if row["method"] != "dbscan":
        return None, None
    return float(row["eps"]), int(row["min_samples"])


@single_threaded()
def customer_segments(
    customer_features: pd.DataFrame, customer_rfm: pd.DataFrame, selection: pd.DataFrame, config: SegmentationConfig
) -> pd.DataFrame:
    """ml.customer_segments: every customer of customer_features once, as of the scoring day,
    with segment, name, distance / probability and outlier flag; a customer with a sale order
    after the data end without a segment, with unscored_reason."""
    rfm = customer_rfm.set_index("customer_key")["rfm_segment"]
    frames = []
    for prepared in prepare_stores(customer_features, config):
        row = _chosen_row(selection, prepared.store)
        segmenter = None
        if row is not None:
            with timed_step(MODEL, f"{prepared.store}: fit {row['method']} k={row['k']} and assign"):
                segmenter = refit_chosen(
                    prepared.matrix, row["method"], int(row["k"]), config, *_dbscan_parameters(row), keys=prepared.keys
                )
        frames.extend(
            segment_store(prepared.frame, prepared.unscored, prepared.matrix, segmenter, prepared.features, rfm, config)
        )
    return segments_table(frames)


def segment_store(
    frame: pd.DataFrame,
    unscored: pd.DataFrame,
    matrix: np.ndarray,
    segmenter,
    features: tuple[str, ...],
    rfm: pd.Series,
    config: SegmentationConfig,
) -> list[pd.DataFrame]:
    """customer_segments rows of one store: its scorable customers assigned by segmenter (None:
    one segment), names by rule, and its unscored customers."""
    assigned = assign(matrix, segmenter, frame["monetary"].to_numpy(dtype="float64"), features, config)
    customers = pd.concat(
        [frame[["store", "customer_key", "customer_id", "as_of_date", "unscored_reason"]], assigned], axis=1
    )
    names = profile_segments(
        pd.concat([frame, assigned[["segment_id", "is_outlier"]]], axis=1).assign(
            rfm_segment=frame["customer_key"].map(rfm)
        )
    )[["segment_id", "segment_name"]]
    customers = customers.merge(names, on="segment_id", how="left", validate="many_to_one")
    customers["method"] = segmenter.method if segmenter is not None else "none"
    return [customers, unscored]


def segments_table(frames: list[pd.DataFrame], extra_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """The customer_segments table from the per-store frames of segment_store."""
    columns = [
        "store",
        "customer_key",
        "customer_id",
        "as_of_date",
        "unscored_reason",
        "segment_id",
        "segment_name",
        "method",
        "distance_to_centroid",
        "assignment_probability",
        "is_outlier",
        "outlier_threshold",
        "most_deviating_feature",
        "deviation",
        *extra_columns,
    ]
    table = stack_store_frames(frames, columns)
    table["as_of_date"] = pd.to_datetime(table["as_of_date"]).dt.date
    return table


def segment_profiles(
    customer_segments_table: pd.DataFrame, customer_features: pd.DataFrame, customer_rfm: pd.DataFrame
) -> pd.DataFrame:
    """ml.segment_profiles: one row per store and segment."""
    rfm = customer_rfm[["customer_key", "rfm_segment"]]
    frames = []
    for store in sorted(customer_segments_table["store"].unique()):
        features = scoring_day_features(customer_features[customer_features["store"] == store])
        segmented = customer_segments_table[
            (customer_segments_table["store"] == store) & customer_segments_table["segment_id"].notna()
        ]
        members = (
            segmented[["customer_key", "segment_id", "is_outlier"]]
            .merge(features, on="customer_key", how="inner", validate="one_to_one")
            .merge(rfm, on="customer_key", how="left", validate="one_to_one")
            .sort_values("customer_key", kind="stable")
        )
        frames.append(profile_segments(members).assign(store=store, currency_code=features["currency_code"].iloc[0]))
    columns = ["store", *PROFILE_COLUMNS[:3], "currency_code", *PROFILE_COLUMNS[3:]]
    return stack_store_frames(frames, columns)


def segment_outliers(customer_segments_table: pd.DataFrame, customer_features: pd.DataFrame) -> pd.DataFrame:
    """ml.segment_outliers: the customers flagged is_outlier, with why and their raw RFM values."""
    outliers = customer_segments_table[customer_segments_table["is_outlier"].fillna(False).astype(bool)]
    raw = as_of_scoring_date(customer_features)[
        ["customer_key", "recency_days", "frequency", "monetary", "currency_code"]
    ]
    raw["monetary"] = raw["monetary"].astype("float64")
    listed = outliers.merge(raw, on="customer_key", how="left", validate="one_to_one")
    listed["distance_ratio"] = listed["distance_to_centroid"] / listed["outlier_threshold"]
    columns = [
        "store",
        "customer_key",
        "customer_id",
        "segment_id",
        "segment_name",
        "distance_to_centroid",
        "outlier_threshold",
        "distance_ratio",
        "most_deviating_feature",
        "deviation",
        "recency_days",
        "frequency",
        "monetary",
        "currency_code",
    ]
    return listed.sort_values(["store", "customer_key"], kind="stable").reset_index(drop=True)[columns]


@single_threaded()
def segment_stability(
    customer_features: pd.DataFrame,
    snapshots: duckdb.DuckDBPyRelation,
    selection: pd.DataFrame,
    config: SegmentationConfig,
    threshold: float,
    bootstrap_resamples: int,
    stores: set[str] | None = None,
) -> pd.DataFrame:
    """ml.segment_stability: ARI per store, comparison and elapsed month. The snapshots carry
    the core measures only, so the rolling study uses the chosen features that they have
    (column features) with the chosen method and k. stores: only these (None: every store)."""
    if stores is not None:
        customer_features = customer_features[customer_features["store"].isin(sorted(stores))]
    frames = []
    for prepared in prepare_stores(customer_features, config):
        row = _chosen_row(selection, prepared.store)
        if row is None:
            log_progress(MODEL, f"{prepared.store}: no model chosen, no stability study")
            continue
        # DBSCAN refits derive eps by the knee rule on their own data (dbscan = (None, None)).
        method, k, dbscan = row["method"], int(row["k"]), (None, None)
        with timed_step(MODEL, f"{prepared.store}: bootstrap ARI ({bootstrap_resamples} refits)"):
            reference = refit_chosen(prepared.matrix, method, k, config, *_dbscan_parameters(row), keys=prepared.keys)
            bootstrap = bootstrap_ari(
                prepared.matrix, reference, method, k, bootstrap_resamples, config, dbscan, keys=prepared.keys
            )
        store_snapshots = snapshots.filter(f"store = '{prepared.store}'")
        snapshot_columns = derive_features(store_snapshots.limit(0).df()).columns
        kept = [(f, t) for f, t in zip(prepared.features, prepared.transforms) if f in snapshot_columns]
        features, transforms = tuple(f for f, _ in kept), tuple(t for _, t in kept)
        dates = [day for (day,) in store_snapshots.project("as_of_date").distinct().order("as_of_date").fetchall()]
        with timed_step(MODEL, f"{prepared.store}: rolling-snapshot ARI on {len(dates)} snapshots"):
            # One snapshot (customers at one month end) in pandas at a time.
            rolled = (
                (day, derive_features(store_snapshots.filter(f"as_of_date = date '{day.isoformat()}'").df()))
                for day in (dates if features else [])
            )
            pairs = rolling_ari(rolled, features, transforms, method, k, config, dbscan, prepared.store)
        stability = stability_frame(prepared.store, pairs, bootstrap, threshold)
        stability["rolling_features"] = ", ".join(features)
        stability["method"] = method
        stability["k"] = k
        frames.append(stability)
    columns = STABILITY_COLUMNS + ["rolling_features", "method", "k"]
    return stack_store_frames(frames, columns)


def segment_refresh_policy(
    stability: pd.DataFrame, selection: pd.DataFrame, threshold: float, refit_days: int | None = None
) -> pd.DataFrame:
    """ml.segment_refresh_policy: the maintenance contract per store with a chosen model."""
    frames = []
    for store in sorted(selection["store"].unique()):
        row = _chosen_row(selection, store)
        if row is None:
            continue
        frames.append(
            refresh_policy(
                store, stability[stability["store"] == store], threshold, row["method"], int(row["k"]), refit_days
            )
        )
    if not frames:
        return pd.DataFrame(columns=["store", "clause_order", "clause", "policy_text"])
    return pd.concat(frames, ignore_index=True)
