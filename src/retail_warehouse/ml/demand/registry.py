"""Fit on schedule, score every build: the anomaly detectors of ml.anomalies, persisted in
ml_registry.anomaly_models (retail_warehouse.ml.registry holds the shared parts).

Per store, two models: order_anomaly_detectors (every fct_orders row) and
customer_anomaly_detectors (every customer_features row), each the scaler of the features' log
scale and the three detectors (IsolationForest, One-Class SVM, autoencoder) fitted together on
the same rows (anomalies.FittedEntityDetectors). ml.anomalies loads the newest version of each
and scores this build's orders and customers with it.

`decisions` refits one (shared registry.decide) when var ml_refit is true; none is registered or
it cannot be loaded (corrupt, another library version, another feature set); the input schema
or a library version changed; the detector settings changed (the demand_anomaly_* vars the fit
reads, ml_seed, ml_neural); it is due (fitted_at + var anomaly_refit_days); or the early-refit
trigger fires: the largest PSI of the features of the newest actuals against the training rows
of the registered model is above var ml_psi_threshold. The newest actuals: for orders, those
dated after the registered model's training window (at least MIN_PSI_ROWS of them, else the
PSI is not computed and says so); for customers, today's customers (their features move as
they buy). Otherwise ml.anomalies scores with the registered model.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.common import log_progress, measured_model, single_threaded
from retail_warehouse.ml.demand import anomalies

AREA = "demand"
MODEL = "anomaly_registry"
ENTITY_TYPES = ("order", "customer")
MODEL_NAMES = {entity_type: f"{entity_type}_anomaly_detectors" for entity_type in ENTITY_TYPES}
LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas", "torch")
CADENCE_VAR = "anomaly_refit_days"
# Orders since the registered model's training window needed for the PSI trigger (deciles of
# fewer rows are noise).
MIN_PSI_ROWS = 200

# The figures of the steps of this process, for ml.model_refresh_log:
# (store, model_name, step) -> the measured_model record.
STEP_RECORDS: dict[tuple[str, str, str], dict] = {}


def library_versions() -> str:
    return shared.library_versions(LIBRARIES)


def settings_json(settings: anomalies.DetectorSettings) -> str:
    return json.dumps(asdict(settings), sort_keys=True)


def load(blob: bytes, features: tuple[str, ...] | None = None) -> anomalies.FittedEntityDetectors:
    """The registered detectors; an error when they cannot be loaded or read other features."""
    fitted = shared.load(blob, anomalies.FittedEntityDetectors)
    if features is not None and tuple(fitted.features) != tuple(features):
        raise ValueError(f"fitted on other features ({', '.join(fitted.features)})")
    return fitted


@dataclass(frozen=True)
class StoreInputs:
    """One store's orders (fct_orders rows) and customers (customer_features rows), each sorted
    by its key."""

    store: str
    orders: pd.DataFrame
    customers: pd.DataFrame

    def entities(self, entity_type: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The rows of an entity type and their raw features."""
        return anomalies.store_entities(self.orders, self.customers, self.store, entity_type)

    def window(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The order dates the models are fitted on (customers' features are made from them)."""
        dates = pd.to_datetime(self.orders["order_date"])
        return (dates.min(), dates.max()) if len(dates) else (None, None)


def store_inputs(orders: pd.DataFrame, customers: pd.DataFrame) -> dict[str, StoreInputs]:
    """Per store with orders or customers, its inputs."""
    stores = sorted(set(orders["store"]) | set(customers["store"]))
    return {
        store: StoreInputs(
            store,
            orders[orders["store"] == store].sort_values("order_key").reset_index(drop=True),
            customers[customers["store"] == store].sort_values("customer_key").reset_index(drop=True),
        )
        for store in stores
    }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


DECISION_COLUMNS = {
    "build_id": "object",
    "decided_at": "datetime64[us]",
    "store": "object",
    "model_name": "object",
    "entity_type": "object",
    "action": "object",
    "reason": "object",
    "registered_version": "Int64",
    "registered_fitted_at": "datetime64[us]",
    "refit_due_at": "datetime64[us]",
    "cadence_days": "Int64",
    "cadence_var": "object",
    "psi_max": "float64",
    "psi_feature": "object",
    "psi_threshold": "float64",
    "psi_by_feature": "object",
    "psi_rows": "Int64",
    "scoring_rows": "int64",
    "training_rows": "int64",
    "training_window_start": "datetime64[us]",
    "training_window_end": "datetime64[us]",
    "detector_settings": "object",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "decision_seconds": "float64",
    "decision_peak_mb": "float64",
}


def newest_actuals(entity_type: str, rows: pd.DataFrame, features: pd.DataFrame, registered_row) -> pd.DataFrame:
    """The features the PSI trigger compares with the registered model's training rows: the
    orders dated after its training window; every customer of today."""
    if entity_type != "order":
        return features
    end = registered_row["training_window_end"]
    if end is None or pd.isna(end):
        return features
    return features[(pd.to_datetime(rows["order_date"]) > pd.Timestamp(end)).to_numpy()]


def _actuals(entity_type: str) -> str:
    return "orders since the fit" if entity_type == "order" else "customers today"


def _decision_row(entity_type, inputs: StoreInputs, registered_row, settings, cadence, psi_threshold, force, now):
    libraries = library_versions()
    rows, features = inputs.entities(entity_type)
    schema_hash = shared.input_schema_hash(rows)
    start, end = inputs.window()
    registered, load_error, psi_values, psi_rows = None, None, {}, None
    triggers, checks = [], []
    if registered_row is not None:
        registered = shared.as_registered(registered_row)
        try:
            fitted = load(registered_row["model_bytes"], tuple(features.columns))
            if fitted.settings != settings:
                triggers.append(
                    f"detector settings changed ({settings_json(fitted.settings)} -> {settings_json(settings)})"
                )
            actuals = newest_actuals(entity_type, rows, features, registered_row)
            psi_rows = len(actuals)
            if psi_rows >= MIN_PSI_ROWS and fitted.reference:
                psi_values = shared.feature_psi(fitted.reference, actuals)
            else:
                checks.append(f"{psi_rows} {_actuals(entity_type)}: PSI needs {MIN_PSI_ROWS}")
        except Exception as error:  # a model that cannot be loaded is refitted, never a failed build
            load_error = shared.load_error(error)
    feature, largest = shared.largest_psi(psi_values)
    if largest is not None and largest > psi_threshold:
        triggers.append(
            f"early refit: PSI of {feature} ({psi_rows} {_actuals(entity_type)} vs the training rows) "
            f"{largest:.3f} > {psi_threshold}"
        )
    elif largest is not None:
        checks.append(f"largest PSI {largest:.3f} ({feature}, {psi_rows} {_actuals(entity_type)}) <= {psi_threshold}")
    decision = shared.decide(
        registered,
        now=now,
        cadence=cadence,
        schema_hash=schema_hash,
        libraries=libraries,
        force=force,
        load_error=load_error,
        triggers=tuple(triggers),
        checks=tuple(checks),
    )
    return {
        "decided_at": now,
        "entity_type": entity_type,
        **shared.decision_fields(registered, decision, cadence, CADENCE_VAR),
        "psi_max": largest,
        "psi_feature": feature,
        "psi_threshold": psi_threshold,
        "psi_by_feature": json.dumps({k: round(v, 4) for k, v in sorted(psi_values.items())}) if psi_values else None,
        "psi_rows": psi_rows,
        "scoring_rows": len(rows),
        "training_rows": len(rows),
        "training_window_start": start,
        "training_window_end": end,
        "detector_settings": settings_json(settings),
        "input_fingerprint": shared.input_fingerprint(rows),
        "input_schema_hash": schema_hash,
        "library_versions": libraries,
    }


@single_threaded()
def decisions(
    inputs: dict[str, StoreInputs],
    previous_registry: pd.DataFrame,
    *,
    settings: anomalies.DetectorSettings,
    cadence_days: int,
    psi_threshold: float,
    force: bool,
    now: datetime | None = None,
    build_id: str | None = None,
) -> pd.DataFrame:
    """ml_registry.anomaly_refit_decisions: refit or score, per store and detector model."""
    now = now or _now()
    targets = [(store, MODEL_NAMES[entity], MODEL_NAMES[entity]) for store in sorted(inputs) for entity in ENTITY_TYPES]
    entity_of = {name: entity for entity, name in MODEL_NAMES.items()}

    def decide(store, model_name, registered_row):
        return _decision_row(
            entity_of[model_name], inputs[store], registered_row, settings, cadence_days, psi_threshold, force, now
        )

    return shared.decision_table(
        targets,
        previous_registry,
        decide,
        table="anomaly_refit_decisions",
        log_as=MODEL,
        columns=DECISION_COLUMNS,
        step_records=STEP_RECORDS,
        build_id=build_id or shared.BUILD_ID,
    )


def validation_metrics(fitted: anomalies.FittedEntityDetectors, features: pd.DataFrame) -> dict:
    """What the detectors do on their training rows (there is no label to score them against):
    the share each flags, the share of flagged rows two or more agree on, and the Spearman
    correlation of each pair of scores."""
    if fitted.detectors is None:
        return {}
    scores = fitted.score(features)
    flags = scores[[flag for _, flag in anomalies.SCORE_FLAGS]]
    count = flags.sum(axis=1)
    metrics = {f"{flag}_share": round(float(flags[flag].mean()), 6) for flag in flags.columns}
    metrics["agreement_share"] = round(float((count >= 2).sum() / max(int((count >= 1).sum()), 1)), 6)
    columns = [column for column, _ in anomalies.SCORE_FLAGS]
    correlation = scores[columns].corr(method="spearman")
    for position, first in enumerate(columns):
        for second in columns[position + 1 :]:
            value = correlation.loc[first, second]
            name = f"spearman_{first.removesuffix('_score')}_{second.removesuffix('_score')}"
            metrics[name] = None if np.isnan(value) else round(float(value), 6)
    return metrics


REGISTRY_COLUMNS = {
    "store": "object",
    "model_name": "object",
    "version": "int64",
    "entity_type": "object",
    "fitted_at": "datetime64[us]",
    "build_id": "object",
    "refit_reason": "object",
    "training_window_start": "datetime64[us]",
    "training_window_end": "datetime64[us]",
    "training_rows": "int64",
    "features": "object",
    "autoencoder_model": "object",
    "detector_settings": "object",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "validation_metrics": "object",
    "has_model": "bool",
    "fit_seconds": "float64",
    "fit_peak_mb": "float64",
    "model_format": "object",
    "model_bytes": "object",
}


def fit_registered(
    inputs: dict[str, StoreInputs],
    decided: pd.DataFrame,
    previous_versions: dict[tuple[str, str], int],
    *,
    settings: anomalies.DetectorSettings,
    refit_everything: bool,
) -> pd.DataFrame:
    """ml_registry.anomaly_models rows of the detectors fitted on this build: each the decision
    says to refit (every one when the registry is built anew: refit_everything)."""
    rows = []
    for decision in decided.sort_values(["store", "model_name"]).itertuples():
        if decision.action != "refit" and not refit_everything:
            continue
        store, name, entity_type = decision.store, decision.model_name, decision.entity_type
        reason = decision.reason if decision.action == "refit" else "registry built anew (first or full-refresh build)"
        entities, features = inputs[store].entities(entity_type)
        with measured_model(f"anomaly_models[{store}, {name}]") as record:
            fitted = anomalies.fit_entity_detectors(
                entity_type, entities, features, anomalies.ENTITY_KEYS[entity_type], settings
            )
            blob = shared.dump(fitted)
        STEP_RECORDS[(store, name, "fit")] = record
        rows.append(
            {
                "store": store,
                "model_name": name,
                "version": previous_versions.get((store, name), 0) + 1,
                "entity_type": entity_type,
                "fitted_at": decision.decided_at,
                "build_id": decision.build_id,
                "refit_reason": reason,
                "training_window_start": decision.training_window_start,
                "training_window_end": decision.training_window_end,
                "training_rows": len(entities),
                "features": ", ".join(fitted.features),
                "autoencoder_model": fitted.detectors.autoencoder_model if fitted.detectors else None,
                "detector_settings": settings_json(settings),
                "input_fingerprint": decision.input_fingerprint,
                "input_schema_hash": decision.input_schema_hash,
                "library_versions": decision.library_versions,
                "validation_metrics": json.dumps(validation_metrics(fitted, features), sort_keys=True),
                "has_model": fitted.detectors is not None,
                "fit_seconds": record["seconds"],
                "fit_peak_mb": record["rss_peak_mb"],
                "model_format": shared.MODEL_FORMAT,
                "model_bytes": blob,
            }
        )
        log_progress(MODEL, f"{store} {name}: registered version {rows[-1]['version']} ({reason})")
    return shared.registry_frame(rows, REGISTRY_COLUMNS)


def loaded(registry_rows: pd.DataFrame) -> dict[tuple[str, str], tuple[int, anomalies.FittedEntityDetectors]]:
    """{(store, entity_type): (version, detectors)} of the newest registered version of each."""
    entity_of = {name: entity_type for entity_type, name in MODEL_NAMES.items()}
    return {
        (row.store, entity_of[row.model_name]): (int(row.version), load(row.model_bytes))
        for row in shared.latest_versions(registry_rows, ("store", "model_name")).itertuples()
        if row.model_name in entity_of
    }


def score(
    components: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    registry_rows: pd.DataFrame,
    *,
    daily_threshold: float,
    settings: anomalies.DetectorSettings,
) -> pd.DataFrame:
    """ml.anomalies scored with the newest registered detectors of each store and entity type,
    each scoring measured for ml.model_refresh_log."""
    models = {key: fitted for key, (_, fitted) in loaded(registry_rows).items()}

    return anomalies.assemble_anomalies(
        components,
        orders,
        customers,
        settings,
        daily_threshold,
        log=lambda message: log_progress("anomalies", message),
        models=models,
        measure=_measured_scoring,
    )


@contextmanager
def _measured_scoring(store: str, entity_type: str):
    """measured_model around one store and entity type's scoring, its record kept as the
    model's score step."""
    name = MODEL_NAMES[entity_type]
    with measured_model(f"anomalies[{store}, {name}]") as record:
        yield
    shared.add_score_record(STEP_RECORDS, store, [name], record)


def refresh_log(decided: pd.DataFrame, fitted_now: pd.DataFrame, registry_rows: pd.DataFrame) -> pd.DataFrame:
    """ml.model_refresh_log rows of this build for the anomaly detectors."""
    return shared.refresh_log(decided, fitted_now, registry_rows, STEP_RECORDS, area=AREA, logged_at=_now())
