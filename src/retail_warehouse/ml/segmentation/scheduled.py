"""The tables of the scheduled segmentation (registry.py): this build's decisions, the registry
rows of the models fitted on it, the assignment with the registered model, the selection and
feature tables read back from the registry, and the refresh log."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from retail_warehouse.ml import registry as shared_registry
from retail_warehouse.ml.common import log_progress, measured_model, single_threaded
from retail_warehouse.ml.segmentation import registry
from retail_warehouse.ml.segmentation.clustering import (
    MODEL,
    SELECTION_COLUMNS,
    SegmentationConfig,
    select_model,
    selection_frame,
)
from retail_warehouse.ml.segmentation.features import (
    choose_features,
    decisions_frame,
    fit_scaler,
    scale_features,
    used_features,
)
from retail_warehouse.ml.segmentation.tables import (
    CUSTOMER_COLUMNS,
    segment_store,
    segments_table,
    split_scorable,
    stack_store_frames,
)

# The figures of the steps of this process, for ml.model_refresh_log: (store, step) -> the
# measured_model record. dbt runs the Python models in its own process, one build at a time.
STEP_RECORDS: dict[tuple[str, str], dict] = {}

DECISION_COLUMNS = {
    "build_id": "object",
    "decided_at": "datetime64[us]",
    "store": "object",
    "model_name": "object",
    "action": "object",
    "reason": "object",
    "registered_version": "Int64",
    "registered_fitted_at": "datetime64[us]",
    "refit_due_at": "datetime64[us]",
    "cadence_days": "Int64",
    "cadence_source": "object",
    "refit_ari": "float64",
    "ari_threshold": "float64",
    "customers": "int64",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "decision_seconds": "float64",
    "decision_peak_mb": "float64",
}

REGISTRY_COLUMNS = {
    "store": "object",
    "model_name": "object",
    "version": "int64",
    "method": "object",
    "k": "int64",
    "fitted_at": "datetime64[us]",
    "build_id": "object",
    "refit_reason": "object",
    "training_as_of_date": "object",
    "training_customers": "int64",
    "fit_sample_customers": "int64",
    "features": "object",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "silhouette": "float64",
    "davies_bouldin": "float64",
    "calinski_harabasz": "float64",
    "bootstrap_ari": "float64",
    "fit_seconds": "float64",
    "fit_peak_mb": "float64",
    "model_format": "object",
    "model_bytes": "object",
}

LOG_COLUMNS = list(shared_registry.LOG_COLUMNS)


def _input(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of customer_features the segmentation reads, for the fingerprint and schema."""
    return frame[[c for c in (c.strip() for c in CUSTOMER_COLUMNS.split(",")) if c in frame.columns]]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@single_threaded()
def refit_decisions(
    customer_features: pd.DataFrame,
    previous_registry: pd.DataFrame,
    previous_policy: pd.DataFrame,
    config: SegmentationConfig,
    *,
    force: bool,
    fallback_days: int,
    ari_threshold: float,
    now: datetime | None = None,
    build_id: str | None = None,
) -> pd.DataFrame:
    """ml_registry.segmentation_refit_decisions: refit or score, per store, on this build."""
    now = now or _now()
    build_id = build_id or shared_registry.BUILD_ID
    latest = registry.latest_versions(previous_registry).set_index("store") if len(previous_registry) else None
    libraries = registry.library_versions()
    rows = []
    for store in sorted(customer_features["store"].unique()):
        with measured_model(f"segmentation_refit_decisions[{store}]") as record:
            store_input = _input(customer_features[customer_features["store"] == store])
            store_input = store_input.sort_values("customer_key", kind="stable").reset_index(drop=True)
            schema_hash = registry.input_schema_hash(store_input)
            fingerprint = registry.input_fingerprint(store_input)
            frame, _ = split_scorable(customer_features, store)
            policy = previous_policy[previous_policy["store"] == store] if len(previous_policy) else previous_policy
            cadence, cadence_source = registry.cadence_days(policy, fallback_days)
            registered, load_error, ari = None, None, None
            if latest is not None and store in latest.index:
                row = latest.loc[store]
                registered = registry.as_registered(row)
                try:
                    fitted = registry.load(row["model_bytes"])
                    missing = [f for f in fitted.scaler.features if f not in frame.columns]
                    if missing:
                        raise KeyError(f"features of the registered model missing from the input: {missing}")
                    ari = registry.refit_ari(fitted, frame, config)
                except Exception as error:  # a model that cannot be loaded is refitted, never a failed build
                    load_error = shared_registry.load_error(error)
            decision = registry.decide(
                registered,
                now=now,
                cadence=cadence,
                schema_hash=schema_hash,
                libraries=libraries,
                force=force,
                load_error=load_error,
                refit_ari=ari,
                ari_threshold=ari_threshold,
            )
        log_progress(MODEL, f"{store}: {decision.action} ({decision.reason})")
        rows.append(
            {
                "build_id": build_id,
                "decided_at": now,
                "store": store,
                "model_name": registry.MODEL_NAME,
                **shared_registry.decision_fields(registered, decision, cadence),
                "cadence_source": cadence_source,
                "refit_ari": ari,
                "ari_threshold": ari_threshold,
                "customers": len(frame),
                "input_fingerprint": fingerprint,
                "input_schema_hash": schema_hash,
                "library_versions": libraries,
                "decision_seconds": record["seconds"],
                "decision_peak_mb": record["rss_peak_mb"],
            }
        )
        STEP_RECORDS[(store, "decision")] = record
    frame = pd.DataFrame(rows, columns=list(DECISION_COLUMNS)) if rows else registry.empty_like(DECISION_COLUMNS)
    return frame.astype(DECISION_COLUMNS)


@single_threaded()
def fit_registered(
    customer_features: pd.DataFrame,
    decisions: pd.DataFrame,
    previous_versions: dict[str, int],
    config: SegmentationConfig,
    *,
    refit_every_store: bool,
) -> pd.DataFrame:
    """ml_registry.segmentation_models rows of the models fitted on this build: each store the
    decision says to refit (every store when the registry is built anew: refit_every_store)."""
    rows = []
    for decision in decisions.sort_values("store").itertuples():
        if decision.action != "refit" and not refit_every_store:
            continue
        store = decision.store
        reason = decision.reason if decision.action == "refit" else "registry built anew (first or full-refresh build)"
        with measured_model(f"segmentation_models[{store}]") as record:
            frame, _ = split_scorable(customer_features, store)
            decisions_made = choose_features(frame, seed=config.seed)
            features, transforms = used_features(decisions_made)
            scaler = fit_scaler(frame, features, transforms)
            matrix = scale_features(frame, scaler)
            selection = select_model(matrix, config, store, keys=frame["customer_key"].to_numpy())
            selection_rows = selection_frame(store, selection, features)
            fitted = registry.FittedSegmentation(decisions_made, scaler, selection.chosen, selection_rows)
            blob = registry.dump(fitted)
        STEP_RECORDS[(store, "fit")] = record
        metrics = registry.chosen_metrics(selection_rows)
        chosen = selection_rows[selection_rows["is_chosen"]].iloc[0]
        rows.append(
            {
                "store": store,
                "model_name": registry.MODEL_NAME,
                "version": previous_versions.get(store, 0) + 1,
                "method": str(chosen["method"]),
                "k": int(chosen["k"]),
                "fitted_at": decision.decided_at,
                "build_id": decision.build_id,
                "refit_reason": reason,
                "training_as_of_date": pd.to_datetime(frame["as_of_date"]).max().date() if len(frame) else None,
                "training_customers": len(frame),
                "fit_sample_customers": selection.fit_customers,
                "features": ", ".join(features),
                "input_fingerprint": decision.input_fingerprint,
                "input_schema_hash": decision.input_schema_hash,
                "library_versions": decision.library_versions,
                **metrics,
                "fit_seconds": record["seconds"],
                "fit_peak_mb": record["rss_peak_mb"],
                "model_format": registry.MODEL_FORMAT,
                "model_bytes": blob,
            }
        )
        log_progress(MODEL, f"{store}: registered version {rows[-1]['version']} ({reason})")
    return shared_registry.registry_frame(rows, REGISTRY_COLUMNS)


def _loaded(latest: pd.DataFrame) -> dict[str, tuple[int, registry.FittedSegmentation]]:
    return {
        row.store: (int(row.version), registry.load(row.model_bytes))
        for row in registry.latest_versions(latest).itertuples()
    }


@single_threaded()
def customer_segments(
    customer_features: pd.DataFrame, customer_rfm: pd.DataFrame, registry_rows: pd.DataFrame, config: SegmentationConfig
) -> pd.DataFrame:
    """ml.customer_segments with the registered model of each store (its features, scaler and
    segmenter): every customer of customer_features once; model_version says which model."""
    models = _loaded(registry_rows)
    rfm = customer_rfm.set_index("customer_key")["rfm_segment"]
    frames = []
    for store in sorted(customer_features["store"].unique()):
        with measured_model(f"customer_segments[{store}]") as record:
            frame, unscored = split_scorable(customer_features, store)
            version, fitted = models.get(store, (None, None))
            if fitted is None:
                raise ValueError(f"no registered segmentation for store {store}")
            matrix = scale_features(frame, fitted.scaler)
            store_frames = segment_store(
                frame, unscored, matrix, fitted.segmenter, tuple(fitted.scaler.features), rfm, config
            )
            store_frames[0]["model_version"] = version
            store_frames[1] = store_frames[1].assign(model_version=version)
        STEP_RECORDS[(store, "score")] = record
        frames.extend(store_frames)
    table = segments_table(frames, extra_columns=("model_version",))
    table["model_version"] = table["model_version"].astype("Int64")
    return table


def model_selection(registry_rows: pd.DataFrame) -> pd.DataFrame:
    """ml.segmentation_model_selection: the selection that chose each store's registered model."""
    frames = [fitted.selection.assign(model_version=version) for version, fitted in _loaded(registry_rows).values()]
    table = stack_store_frames(frames, [*SELECTION_COLUMNS, "model_version"])
    table["model_version"] = table["model_version"].astype("Int64")
    return table


def segmentation_features(registry_rows: pd.DataFrame) -> pd.DataFrame:
    """ml.segmentation_features: the feature choice of each store's registered model."""
    frames = [
        decisions_frame(store, fitted.decisions, fitted.scaler).assign(model_version=version)
        for store, (version, fitted) in _loaded(registry_rows).items()
    ]
    return pd.concat(frames, ignore_index=True) if frames else decisions_frame("", [], None)


def refresh_log(decisions: pd.DataFrame, fitted_now: pd.DataFrame, registry_rows: pd.DataFrame) -> pd.DataFrame:
    """ml.model_refresh_log rows of this build: refitted or scored per store, why, how long
    (decision + fit + scoring, as measured in this process), peak memory (shared registry)."""
    steps = {(store, registry.MODEL_NAME, step): record for (store, step), record in STEP_RECORDS.items()}
    rows = registry_rows if "model_name" in registry_rows else registry_rows.assign(model_name=registry.MODEL_NAME)
    fitted = fitted_now if "model_name" in fitted_now else fitted_now.assign(model_name=registry.MODEL_NAME)
    return shared_registry.refresh_log(decisions, fitted, rows, steps, area="segmentation", logged_at=_now())
