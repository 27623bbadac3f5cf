"""Fit on schedule, score every build: the customer value models the warehouse serves, persisted
in ml_registry.customer_value_models (retail_warehouse.ml.registry holds the shared parts).

Per store, the models this build's validation serves (the required models):
- churn_classifier: the best classifier of ml.churn_model_metrics (is_best), fitted on every
  labelled cutoff; churn_scores scores with it;
- spend_regressor: the served spend regression of ml.customer_value_metrics (is_best on
  spend_next_h) when it is a regression (a baseline or a transaction model needs no regressor),
  fitted on every labelled cutoff; customer_value_predictions.predicted_spend_next_h;
- bgnbd_gamma_gamma / mbgnbd_gamma_gamma: the transaction model chosen out of time (and the
  served spend model when it is the other one) + Gamma-Gamma, fitted on the sale orders to the
  store's data end; customer_value_predictions and store_value_forecast score today's customers'
  RFM summary with its parameters.

`decisions` refits one (shared registry.decide) when var ml_refit is true; none is registered or
it cannot be loaded (corrupt, another library version, another feature set); the validation now
serves another method or target; the input schema or a library version changed; it is due
(fitted_at + var churn_refit_days / value_refit_days / btyd_refit_days); or the early-refit
trigger fires: the largest PSI of this build's scoring features against the scoring features
of the build that fitted the model (the population it was deployed on) is above var
ml_psi_threshold. Otherwise the scoring loads it.

Why not against the training rows: those are every monthly cutoff of the history, the scoring
rows one day after the data end, so tenure and recency differ by construction (PSI of
tenure_days about 6 on the unit tests' store on the very build that fitted the model): such a
trigger refits on every build. That PSI is still written (psi_training_max), for reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

import pandas as pd

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.common import log_progress, measured_model, single_threaded
from retail_warehouse.ml.customer_value import churn, spend
from retail_warehouse.ml.customer_value.labels import FEATURES

AREA = "customer_value"
MODEL = "customer_value_registry"
CHURN = "churn_classifier"
SPEND = "spend_regressor"
TRANSACTION_MODELS = tuple(spend.TRANSACTION_MODELS)
LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas", "lightgbm", "torch")
# The RFM summary a transaction model + Gamma-Gamma is fitted on and scores.
BTYD_FEATURES = ("frequency", "recency", "age", "repeat_mean_value")
# The columns of the labelled examples a churn classifier or spend regression is fitted on.
EXAMPLE_INPUT = ("customer_key", "as_of_date", *FEATURES, "spend_next", "is_positive")
# The cadence var of each model (days between fits).
CADENCE_VARS = {CHURN: "churn_refit_days", SPEND: "value_refit_days"} | {
    name: "btyd_refit_days" for name in TRANSACTION_MODELS
}

# The columns of ml_registry.customer_value_models the decisions read (the previous build's
# registry, by name: customer_value_evaluation_decisions and customer_value_refit_decisions).
PREVIOUS_COLUMNS = "store, model_name, version, method, fitted_at, input_schema_hash, library_versions, model_bytes"

# The figures of the steps of this process, for ml.model_refresh_log:
# (store, model_name, step) -> the measured_model record.
STEP_RECORDS: dict[tuple[str, str, str], dict] = {}


def library_versions() -> str:
    return shared.library_versions(LIBRARIES)


@dataclass
class FittedCustomerModel:
    """A registered customer value model: what scores (estimator: a classifier, a regressor, or
    (transaction model, Gamma-Gamma); None when there was nothing to learn), on which features,
    and the distribution of those features in the scoring rows of the build that fitted it (the
    PSI reference of the trigger) and in its training rows."""

    model_name: str
    method: str
    target_name: str | None
    features: tuple[str, ...]
    estimator: object
    reference: dict = field(default_factory=dict)
    training_reference: dict = field(default_factory=dict)


def load(blob: bytes, features: tuple[str, ...] | None = None) -> FittedCustomerModel:
    """The registered model; an error when it cannot be loaded or was fitted on other features."""
    fitted = shared.load(blob, FittedCustomerModel)
    if features is not None and tuple(fitted.features) != tuple(features):
        raise ValueError(f"fitted on other features ({', '.join(fitted.features)})")
    return fitted


@dataclass(frozen=True)
class Required:
    """A model this build's validation serves for a store."""

    model_name: str
    method: str
    target_name: str | None
    horizon_days: int | None
    validation: dict


def _metric(row, name):
    value = row.get(name) if row is not None else None
    return None if value is None or pd.isna(value) else float(value)


def required_models(store: str, churn_metrics: pd.DataFrame, value_metrics: pd.DataFrame, choice) -> list[Required]:
    """The models store `store` serves (module docstring), with the validation metrics of each."""
    required = []
    best = churn_metrics[(churn_metrics["store"] == store) & churn_metrics["is_best"]]
    if len(best):
        row = best.iloc[0]
        required.append(
            Required(
                CHURN,
                str(row["model_name"]),
                str(row["target_name"]),
                int(row["horizon_days"]),
                {name: _metric(row, name) for name in ("roc_auc", "pr_auc")},
            )
        )
    store_metrics = value_metrics[value_metrics["store"] == store]
    served = store_metrics[(store_metrics["target_name"] == "spend_next_h") & store_metrics["is_best"]]
    served_name = served["model_name"].iloc[0] if len(served) else None
    if served_name is not None and served_name not in spend.BASELINES and served_name not in TRANSACTION_MODELS:
        row = served.iloc[0]
        required.append(
            Required(
                SPEND,
                served_name,
                "spend_next_h",
                int(row["horizon_days"]),
                {name: _metric(row, name) for name in ("rmse", "mae")},
            )
        )
    for name in sorted({choice.model_name} | ({served_name} & set(TRANSACTION_MODELS))):
        rows = store_metrics[store_metrics["model_name"] == name]
        target = "value_next_365d" if (rows["target_name"] == "value_next_365d").any() else "spend_next_h"
        rows = rows[rows["target_name"] == target]
        row = rows.iloc[0] if len(rows) else None
        required.append(Required(name, name, target, None, {f"{target}_{m}": _metric(row, m) for m in ("rmse", "mae")}))
    return required


def training_stats(
    required: Required, inputs: StoreInputs, order_stats: shared.InputStats | None = None
) -> shared.InputStats:
    """What the decision records of the rows the model is fitted on (count, window, fingerprint,
    schema): the store's labelled examples (features and labels), or its sale orders before
    the cutoff (order_stats when given, else StoreInputs.order_stats)."""
    if required.model_name in TRANSACTION_MODELS:
        return order_stats or inputs.order_stats
    return shared.input_stats([inputs.examples[list(EXAMPLE_INPUT)].reset_index(drop=True)], "as_of_date")


def scoring_features(required: Required, inputs: StoreInputs) -> pd.DataFrame:
    """This build's scoring rows, in the features the model reads (PSI against its training)."""
    if required.model_name in TRANSACTION_MODELS:
        return inputs.summary
    return inputs.scorable


def fit(required: Required, inputs: StoreInputs, seed: int, max_rows: int) -> FittedCustomerModel:
    """Fits one required model (as the scoring tables did in place) with its PSI references."""
    examples = inputs.examples
    if required.model_name in TRANSACTION_MODELS:
        fitted = spend.fit_summary(inputs.summary, required.method)
        # Fitted on the RFM summary at the scoring day, which it also scores.
        reference = shared.reference_bins(inputs.summary, BTYD_FEATURES)
        estimator = None if fitted is None else (fitted[1], fitted[2])
        return FittedCustomerModel(
            required.model_name, required.method, required.target_name, BTYD_FEATURES, estimator, reference, reference
        )
    if required.model_name == CHURN:
        estimator = churn.fit_classifier(required.method, examples, required.target_name, seed, max_rows)
    else:
        estimator = spend.fit_regressor(required.method, examples, seed, max_rows)
    return FittedCustomerModel(
        required.model_name,
        required.method,
        required.target_name,
        FEATURES,
        estimator,
        shared.reference_bins(inputs.scorable, FEATURES),
        shared.reference_bins(examples, FEATURES),
    )


def probabilistic_from_summary(fitted: FittedCustomerModel, summary: pd.DataFrame):
    """(summary, transaction model, Gamma-Gamma) as spend.fit_summary returns it: the customers'
    summary at the cutoff (btyd.rfm_summary's columns, computed in DuckDB by
    history.RelationHistory.summary) scored with the registered parameters; None when nothing was
    fitted."""
    if fitted.estimator is None:
        return None
    return (summary, *fitted.estimator)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


DECISION_COLUMNS = {
    "build_id": "object",
    "decided_at": "datetime64[us]",
    "store": "object",
    "model_name": "object",
    "method": "object",
    "target_name": "object",
    "horizon_days": "Int64",
    "action": "object",
    "reason": "object",
    "registered_version": "Int64",
    "registered_method": "object",
    "registered_fitted_at": "datetime64[us]",
    "refit_due_at": "datetime64[us]",
    "cadence_days": "Int64",
    "cadence_var": "object",
    "psi_max": "float64",
    "psi_feature": "object",
    "psi_threshold": "float64",
    "psi_by_feature": "object",
    "psi_training_max": "float64",
    "psi_training_feature": "object",
    "scoring_rows": "int64",
    "training_rows": "int64",
    "training_window_start": "datetime64[us]",
    "training_window_end": "datetime64[us]",
    "validation_metrics": "object",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "decision_seconds": "float64",
    "decision_peak_mb": "float64",
}


@dataclass(frozen=True)
class StoreInputs:
    """One store's inputs to decide, fit and score: its labelled examples, its scoring day (the
    day after its data end), and, each read once when first used (tables.store_inputs: a store
    whose decisions are reused or whose models are not refitted reads none of them), today's
    scorable customers with their features, the customers' RFM summary at the scoring day
    (btyd.rfm_summary, computed in DuckDB: the transaction models are fitted on it and score
    it) and the InputStats of the sale orders before it (read in chunks: the transaction
    models' training rows). Memory follows the customers, never the orders."""

    examples: pd.DataFrame
    cutoff: pd.Timestamp
    read_scorable: Callable[[], pd.DataFrame]
    read_summary: Callable[[], pd.DataFrame]
    read_orders: Callable[[], Iterable[pd.DataFrame]]

    @cached_property
    def scorable(self) -> pd.DataFrame:
        return self.read_scorable()

    @cached_property
    def summary(self) -> pd.DataFrame:
        return self.read_summary()

    @cached_property
    def order_stats(self) -> shared.InputStats:
        return shared.input_stats(self.read_orders(), "order_date")


def _decision_row(
    required, inputs: StoreInputs, registered_row, cadences, psi_threshold, force, now, build_id, order_stats=None
):
    libraries = library_versions()
    training = training_stats(required, inputs, order_stats)
    schema_hash = training.schema_hash
    registered, load_error, psi_values, training_psi = None, None, {}, {}
    triggers, checks = [], []
    if registered_row is not None:
        registered = shared.as_registered(registered_row)
        try:
            fitted = load(registered_row["model_bytes"], scoring_feature_names(required))
            if (fitted.method, fitted.target_name) != (required.method, required.target_name):
                triggers.append(
                    f"the validation now serves {required.method} ({required.target_name}), registered "
                    f"{fitted.method} ({fitted.target_name})"
                )
            scoring = scoring_features(required, inputs)
            psi_values = shared.feature_psi(fitted.reference, scoring)
            training_psi = shared.feature_psi(fitted.training_reference, scoring)
        except Exception as error:  # a model that cannot be loaded is refitted, never a failed build
            load_error = shared.load_error(error)
    feature, largest = shared.largest_psi(psi_values)
    if largest is not None and largest > psi_threshold:
        triggers.append(
            f"early refit: PSI of {feature} (scoring features vs those at the fit) {largest:.3f} > {psi_threshold}"
        )
    elif largest is not None:
        checks.append(f"largest PSI {largest:.3f} ({feature}) <= {psi_threshold}")
    cadence_var = CADENCE_VARS[required.model_name]
    cadence = int(cadences[cadence_var])
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
        "build_id": build_id,
        "decided_at": now,
        "model_name": required.model_name,
        "method": required.method,
        "target_name": required.target_name,
        "horizon_days": required.horizon_days,
        **shared.decision_fields(registered, decision, cadence, cadence_var),
        "registered_method": registered_row["method"] if registered_row is not None else None,
        "psi_max": largest,
        "psi_feature": feature,
        "psi_threshold": psi_threshold,
        "psi_by_feature": json.dumps({k: round(v, 4) for k, v in sorted(psi_values.items())}) if psi_values else None,
        "psi_training_max": shared.largest_psi(training_psi)[1],
        "psi_training_feature": shared.largest_psi(training_psi)[0],
        "scoring_rows": len(inputs.scorable),
        "training_rows": training.rows,
        "training_window_start": training.window_start,
        "training_window_end": training.window_end,
        "validation_metrics": json.dumps(required.validation, sort_keys=True),
        "input_fingerprint": training.fingerprint,
        "input_schema_hash": schema_hash,
        "library_versions": libraries,
    }


def scoring_feature_names(required: Required) -> tuple[str, ...]:
    return BTYD_FEATURES if required.model_name in TRANSACTION_MODELS else FEATURES


@single_threaded()
def decisions(
    inputs: dict[str, StoreInputs],
    required: dict[str, list[Required]],
    previous_registry: pd.DataFrame,
    *,
    cadences: dict[str, int],
    psi_threshold: float,
    force: bool,
    now: datetime | None = None,
    build_id: str | None = None,
    kept: pd.DataFrame | None = None,
    table: str = "customer_value_refit_decisions",
) -> pd.DataFrame:
    """ml_registry.customer_value_refit_decisions: refit or score, per store and required model.
    kept: the evaluation decisions (evaluation_decisions) of this build; a store whose evaluation
    was kept serves the models its previous evaluation chose, so the decisions taken on them
    before the evaluations are its rows (not decided twice) when they are the required ones. A
    store decided again takes what they recorded of its sale orders (_order_stats): the orders
    are read once per build."""
    now = now or _now()
    build_id = build_id or shared.BUILD_ID
    reused = _reused_decisions(kept, required)
    order_stats = _order_stats(kept)
    models = {
        (store, model.model_name): model
        for store in sorted(required)
        if store not in reused
        for model in required[store]
    }
    targets = [(store, name, f"{name} ({model.method})") for (store, name), model in models.items()]

    def decide(store, model_name, registered_row):
        model = models[(store, model_name)]
        return _decision_row(
            model, inputs[store], registered_row, cadences, psi_threshold, force, now, build_id, order_stats.get(store)
        )

    decided = shared.decision_table(
        targets,
        previous_registry,
        decide,
        table=table,
        log_as=MODEL,
        columns=DECISION_COLUMNS,
        step_records=STEP_RECORDS,
        build_id=build_id,
    )
    if not reused:
        return decided
    for store, rows in reused.items():
        for row in rows.itertuples():
            log_progress(
                MODEL, f"{store} {row.model_name} ({row.method}): {row.action} (decided before the evaluations)"
            )
    frames = [frame for frame in (decided, *reused.values()) if len(frame)]
    table_rows = pd.concat(frames, ignore_index=True)[list(DECISION_COLUMNS)].astype(DECISION_COLUMNS)
    return table_rows.sort_values(["store", "model_name"], kind="stable").reset_index(drop=True)


def _optional_day(value) -> pd.Timestamp | None:
    return None if pd.isna(value) else pd.Timestamp(value)


def _order_stats(kept: pd.DataFrame | None) -> dict[str, shared.InputStats]:
    """{store: the InputStats of its sale orders before the scoring day} as this build's evaluation
    decisions recorded them on a transaction model (every transaction model is fitted on the
    same orders, whichever the method)."""
    if kept is None or kept.empty:
        return {}
    rows = kept[kept["model_name"].isin(TRANSACTION_MODELS)].drop_duplicates("store")
    return {
        row.store: shared.InputStats(
            int(row.training_rows),
            _optional_day(row.training_window_start),
            _optional_day(row.training_window_end),
            row.input_fingerprint,
            row.input_schema_hash,
        )
        for row in rows.itertuples()
    }


def _reused_decisions(kept: pd.DataFrame | None, required: dict[str, list[Required]]) -> dict[str, pd.DataFrame]:
    """{store: its evaluation decision rows} of the stores whose evaluation was kept and whose
    required models are those decided on then (same model, method and target: the kept
    evaluation serves them; after a --full-refresh of the evaluation tables they may differ, and
    the store is decided again)."""
    if kept is None or kept.empty:
        return {}
    reused = {}
    for store, rows in kept[kept["evaluation_action"] == KEEP].groupby("store", sort=True):
        decided = set(zip(rows["model_name"], rows["method"], rows["target_name"]))
        wanted = {(model.model_name, model.method, model.target_name) for model in required.get(store, [])}
        if decided == wanted:
            reused[store] = rows
    return reused


# --- evaluations: part of the fit ----------------------------------------------------------

EVALUATE = "evaluate"
KEEP = "keep"
EVALUATION_COLUMNS = DECISION_COLUMNS | {"evaluation_action": "object", "evaluation_reason": "object"}
NO_PREVIOUS_EVALUATION = "no previous evaluation (the evaluation tables are new)"


def evaluation_decisions(
    inputs: dict[str, StoreInputs],
    served: dict[str, list[Required]],
    previous_registry: pd.DataFrame,
    *,
    has_previous_evaluation: bool,
    cadences: dict[str, int],
    psi_threshold: float,
    force: bool,
    now: datetime | None = None,
    build_id: str | None = None,
) -> pd.DataFrame:
    """ml_registry.customer_value_evaluation_decisions: per store, whether this build runs the
    evaluations of its customer value models (churn_validation_predictions, churn_model_metrics,
    churn_calibration, churn_feature_importance, customer_value_metrics, next_order_metrics,
    probability_alive_calibration: the validation that chooses what is fitted, and
    customer_value_model_fits: part of the fit)
    or keeps their rows of the last evaluation. served: the models each store's previous
    evaluation serves (required_models on the evaluation tables as the previous build left
    them, has_previous_evaluation; else on none: the default transaction model), every store of
    inputs. The shared decision (decisions, registry.decide) is taken on each; the store is
    evaluated when one of them is refitted (ml_refit, none registered or not loadable, input
    schema or library versions changed, due, PSI) or there is no previous evaluation, else
    kept. One row per store and served model: the decision on the model and the store's
    evaluation_action / evaluation_reason."""
    stores = sorted(inputs)
    per_model = decisions(
        inputs,
        served,
        previous_registry,
        cadences=cadences,
        psi_threshold=psi_threshold,
        force=force,
        now=now,
        build_id=build_id,
        table="customer_value_evaluation_decisions",
    )
    rows = per_model.assign(evaluation_action=None, evaluation_reason=None)
    for store in stores:
        at = rows["store"] == store
        action, reason = evaluation_action(rows[at], has_previous=has_previous_evaluation)
        rows.loc[at, "evaluation_action"] = action
        rows.loc[at, "evaluation_reason"] = reason
        log_progress(MODEL, f"{store} evaluations: {action} ({reason})")
    return rows[list(EVALUATION_COLUMNS)].astype(EVALUATION_COLUMNS)


def evaluation_action(store_decisions: pd.DataFrame, *, has_previous: bool) -> tuple[str, str]:
    """(evaluate | keep, why) of one store from the decisions on the models its previous
    evaluation serves (evaluation_decisions)."""
    if not has_previous:
        return EVALUATE, NO_PREVIOUS_EVALUATION
    refitted = store_decisions[store_decisions["action"] == "refit"]
    if len(refitted):
        return EVALUATE, "refitted: " + " | ".join(
            f"{row.model_name}: {row.reason}" for row in refitted.sort_values("model_name").itertuples()
        )
    return KEEP, "every served model scores with its registered version: the rows of its last evaluation are kept"


def evaluated_stores(evaluations: pd.DataFrame, *, table_is_new: bool) -> tuple[str, ...] | None:
    """The stores an evaluation table is computed for on this build: None (every store) when the
    table is built anew, else those whose evaluation_action is evaluate."""
    if table_is_new:
        return None
    return tuple(sorted(evaluations.loc[evaluations["evaluation_action"] == EVALUATE, "store"].unique()))


REGISTRY_COLUMNS = {
    "store": "object",
    "model_name": "object",
    "version": "int64",
    "method": "object",
    "target_name": "object",
    "horizon_days": "Int64",
    "fitted_at": "datetime64[us]",
    "build_id": "object",
    "refit_reason": "object",
    "training_window_start": "datetime64[us]",
    "training_window_end": "datetime64[us]",
    "training_rows": "int64",
    "features": "object",
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


@single_threaded()
def fit_registered(
    inputs: dict[str, StoreInputs],
    decided: pd.DataFrame,
    previous_versions: dict[tuple[str, str], int],
    *,
    seed: int,
    max_rows: int,
    refit_everything: bool,
) -> pd.DataFrame:
    """ml_registry.customer_value_models rows of the models fitted on this build: each the
    decision says to refit (every one when the registry is built anew: refit_everything)."""
    rows = []
    for decision in decided.sort_values(["store", "model_name"]).itertuples():
        if decision.action != "refit" and not refit_everything:
            continue
        store, name = decision.store, decision.model_name
        reason = decision.reason if decision.action == "refit" else "registry built anew (first or full-refresh build)"
        required = Required(name, decision.method, decision.target_name, None, {})
        with measured_model(f"customer_value_models[{store}, {name}]") as record:
            fitted = fit(required, inputs[store], seed, max_rows)
            blob = shared.dump(fitted)
        STEP_RECORDS[(store, name, "fit")] = record
        rows.append(
            {
                "store": store,
                "model_name": name,
                "version": previous_versions.get((store, name), 0) + 1,
                "method": decision.method,
                "target_name": decision.target_name,
                "horizon_days": decision.horizon_days,
                "fitted_at": decision.decided_at,
                "build_id": decision.build_id,
                "refit_reason": reason,
                "training_window_start": decision.training_window_start,
                "training_window_end": decision.training_window_end,
                "training_rows": decision.training_rows,
                "features": ", ".join(fitted.features),
                "input_fingerprint": decision.input_fingerprint,
                "input_schema_hash": decision.input_schema_hash,
                "library_versions": decision.library_versions,
                "validation_metrics": decision.validation_metrics,
                "has_model": fitted.estimator is not None,
                "fit_seconds": record["seconds"],
                "fit_peak_mb": record["rss_peak_mb"],
                "model_format": shared.MODEL_FORMAT,
                "model_bytes": blob,
            }
        )
        log_progress(MODEL, f"{store} {name}: registered version {rows[-1]['version']} ({reason})")
    return shared.registry_frame(rows, REGISTRY_COLUMNS)


# The newest registered version of each store's models (the scoring models read only these).
LATEST_MODELS = shared.LATEST_MODELS


def loaded(registry_rows: pd.DataFrame) -> dict[tuple[str, str], tuple[int, FittedCustomerModel]]:
    """{(store, model_name): (version, model)} of the newest registered version of each."""
    return {
        (row.store, row.model_name): (int(row.version), load(row.model_bytes))
        for row in shared.latest_versions(registry_rows, ("store", "model_name")).itertuples()
    }


def add_score_record(store: str, names, record: dict) -> None:
    """Adds a scoring step's figures to each model it scored with (shared.add_score_record)."""
    shared.add_score_record(STEP_RECORDS, store, names, record)


LOGGED_EVALUATION = {EVALUATE: "evaluated", KEEP: "kept"}


def refresh_log(
    decided: pd.DataFrame, fitted_now: pd.DataFrame, registry_rows: pd.DataFrame, evaluations: pd.DataFrame
) -> pd.DataFrame:
    """ml.model_refresh_log rows of this build for the customer value models, each with its
    store's evaluation decision (evaluations: ml_registry.customer_value_evaluation_decisions of
    the same build) as evaluated or kept, and why."""
    per_store = evaluations.drop_duplicates("store").set_index("store")
    return shared.refresh_log(
        decided,
        fitted_now,
        registry_rows,
        STEP_RECORDS,
        area=AREA,
        logged_at=_now(),
        evaluations={
            store: (LOGGED_EVALUATION[row.evaluation_action], row.evaluation_reason)
            for store, row in per_store.iterrows()
        },
    )
