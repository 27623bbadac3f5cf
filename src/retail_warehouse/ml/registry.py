"""Fit on schedule, score every build: the model-agnostic parts of the model registry (schema
ml_registry), shared by every area that persists its fitted models (segmentation.registry,
customer_value.registry).

A registry table holds one row per fitted model and version with its metadata (store, model,
version, fitted_at, training window, input fingerprint and schema hash, library versions,
validation metrics) and the pickled model itself (model_bytes), published atomically with the
rest of the warehouse. `decide` says whether a build refits a model or loads and scores with
the registered one; every reason that holds is written, in this order:
- var ml_refit is true;
- no model registered, or the registered one cannot be loaded (corrupt, another library
  version, another feature set: the caller's load error);
- the input schema changed;
- a library the pickled model depends on changed version;
- the model is due: fitted_at + its cadence in days;
- the area's early-refit triggers, computed on this build (e.g. PSI of the scoring features
  over a threshold, the ARI of a sample refit under one), each a reason when it fires.
Otherwise the build scores with the registered model.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import pickle
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import log_progress, measured_model

MODEL_FORMAT = "pickle"
DEFAULT_LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas")
# PSI: bins of the reference distribution (deciles), and the proportion floor that keeps the
# log finite for an empty bin.
PSI_BINS = 10
PSI_FLOOR = 1e-4
# The build_id of this process's decisions: dbt runs every Python model of a build in its own
# process, so the decisions of every area share it (ml.model_refresh_log's build).
BUILD_ID = uuid.uuid4().hex


def library_versions(libraries=DEFAULT_LIBRARIES) -> str:
    """The versions of the libraries a pickled model depends on, as sorted JSON."""
    versions = {}
    for name in libraries:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return json.dumps(versions, sort_keys=True)


def input_schema_hash(frame: pd.DataFrame) -> str:
    """sha256 (16 hex) of the input's column names and dtypes, in order."""
    text = ";".join(f"{column}:{dtype}" for column, dtype in frame.dtypes.astype(str).items())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _row_hashes(frame: pd.DataFrame) -> bytes:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()


def input_fingerprint(frame: pd.DataFrame) -> str:
    """sha256 (16 hex) of the input's content (every column, row order as given: the callers sort
    by their keys), so two builds on the same rows and values agree."""
    return hashlib.sha256(_row_hashes(frame)).hexdigest()[:16]


@dataclass(frozen=True)
class InputStats:
    """What a decision records of a model's training rows: how many, the first and last day
    (None without rows), input_fingerprint and input_schema_hash."""

    rows: int
    window_start: pd.Timestamp | None
    window_end: pd.Timestamp | None
    fingerprint: str
    schema_hash: str


def input_stats(chunks, date_column: str | None) -> InputStats:
    """InputStats of the rows of `chunks`: frames of the same columns and dtypes, in order (one
    frame, or a table read in chunks, so memory follows a chunk), as of the frames concatenated
    (the fingerprint hashes the rows in order, as input_fingerprint of them all; the schema is
    the first frame's). Without a date_column the window is None."""
    digest = hashlib.sha256()
    rows, schema_hash, starts, ends = 0, None, [], []
    for chunk in chunks:
        schema_hash = schema_hash or input_schema_hash(chunk)
        digest.update(_row_hashes(chunk))
        rows += len(chunk)
        if len(chunk) and date_column is not None:
            dates = pd.to_datetime(chunk[date_column])
            starts.append(dates.min())
            ends.append(dates.max())
    return InputStats(
        rows,
        pd.Series(starts).min() if starts else None,
        pd.Series(ends).max() if ends else None,
        digest.hexdigest()[:16],
        schema_hash,
    )


def dump(fitted) -> bytes:
    return pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL)


def load(blob: bytes, expected: type):
    """The model pickled in a registry row; TypeError when it is not an `expected`."""
    fitted = pickle.loads(blob)
    if not isinstance(fitted, expected):
        raise TypeError(f"registry blob holds a {type(fitted).__name__}, not a {expected.__name__}")
    return fitted


def load_error(error: Exception) -> str:
    """How a load failure is written in a decision's reason."""
    return f"{type(error).__name__}: {error}"[:300]


@dataclass(frozen=True)
class Registered:
    """The latest registered version of a model, as the decision sees it."""

    version: int
    fitted_at: datetime
    input_schema_hash: str
    library_versions: str


@dataclass(frozen=True)
class Decision:
    action: str  # refit | score
    reason: str
    due_at: datetime | None


def decide(
    registered: Registered | None,
    *,
    now: datetime,
    cadence: int,
    schema_hash: str,
    libraries: str,
    force: bool,
    load_error: str | None = None,
    triggers: tuple[str, ...] = (),
    checks: tuple[str, ...] = (),
) -> Decision:
    """Refit or score one model on this build (module docstring). `triggers`: the reasons of the
    early-refit triggers that fired; `checks`: what the ones that did not fire measured, written
    in the reason of a score."""
    reasons = []
    if force:
        reasons.append("var ml_refit is true")
    if registered is None:
        reasons.append("no model registered")
        return Decision("refit", "; ".join(reasons), None)
    due_at = registered.fitted_at + timedelta(days=cadence)
    if load_error:
        reasons.append(f"registered version {registered.version} cannot be loaded ({load_error})")
    if registered.input_schema_hash != schema_hash:
        reasons.append(f"input schema changed ({registered.input_schema_hash} -> {schema_hash})")
    if registered.library_versions != libraries:
        reasons.append(f"library versions changed ({registered.library_versions} -> {libraries})")
    if now >= due_at:
        reasons.append(f"due: fitted {registered.fitted_at:%Y-%m-%d %H:%M}, cadence {cadence} days")
    reasons.extend(triggers)
    if reasons:
        return Decision("refit", "; ".join(reasons), due_at)
    return Decision(
        "score",
        "; ".join(
            (
                f"not due before {due_at:%Y-%m-%d %H:%M} (cadence {cadence} days); input schema and library "
                "versions unchanged",
                *checks,
            )
        ),
        due_at,
    )


def decision_fields(
    registered: Registered | None, decision: Decision, cadence: int, cadence_var: str | None = None
) -> dict:
    """The columns every refit-decisions table writes alike from a decision: action, reason,
    the registered version and its fitted_at (None without one), refit_due_at, cadence_days and,
    given, cadence_var (the var the cadence is read from; segmentation writes its
    cadence_source instead)."""
    fields = {
        "action": decision.action,
        "reason": decision.reason,
        "registered_version": registered.version if registered else None,
        "registered_fitted_at": registered.fitted_at if registered else None,
        "refit_due_at": decision.due_at,
        "cadence_days": cadence,
    }
    if cadence_var is not None:
        fields["cadence_var"] = cadence_var
    return fields


def latest_versions(registry: pd.DataFrame, keys=("store",)) -> pd.DataFrame:
    """The newest version per key (store, or store + model_name)."""
    if registry.empty:
        return registry
    keys = list(keys)
    ordered = registry.sort_values([*keys, "version"], kind="stable")
    return ordered.groupby(keys, sort=True).tail(1).reset_index(drop=True)


def as_registered(row) -> Registered:
    return Registered(
        version=int(row["version"]),
        fitted_at=pd.Timestamp(row["fitted_at"]).to_pydatetime(),
        input_schema_hash=str(row["input_schema_hash"]),
        library_versions=str(row["library_versions"]),
    )


def empty_like(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def registry_frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """A registry table's new rows with its column types (an empty one typed alike); the
    pickled models stay bytes."""
    if not rows:
        return empty_like(columns)
    return pd.DataFrame(rows, columns=list(columns)).astype({k: v for k, v in columns.items() if k != "model_bytes"})


# --- early-refit trigger: population stability index --------------------------------------


@dataclass(frozen=True)
class FeatureBins:
    """One feature's reference distribution: inner bin edges (deciles of the training values)
    and the share of the training values in each bin (len(edges) + 1 bins)."""

    edges: np.ndarray
    proportions: np.ndarray


def _bin_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    values = values[np.isfinite(values)]
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return counts / max(counts.sum(), 1)


def reference_bins(frame: pd.DataFrame, features, bins: int = PSI_BINS) -> dict[str, FeatureBins]:
    """The reference distribution of each feature (the training rows): decile edges, deduplicated
    (a feature with many ties has fewer bins), and the training shares in them."""
    reference = {}
    for feature in features:
        values = pd.to_numeric(frame[feature], errors="coerce").to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if len(finite) else np.array([])
        reference[feature] = FeatureBins(edges, _bin_shares(values, edges))
    return reference


def psi(expected: np.ndarray, actual: np.ndarray, floor: float = PSI_FLOOR) -> float:
    """Population stability index sum((a - e) * ln(a / e)) of two bin-share vectors."""
    expected = np.clip(np.asarray(expected, dtype=float), floor, None)
    actual = np.clip(np.asarray(actual, dtype=float), floor, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def feature_psi(reference: dict[str, FeatureBins], frame: pd.DataFrame) -> dict[str, float]:
    """PSI of each reference feature of `frame` (this build's scoring rows) against the reference."""
    return {
        feature: psi(
            bins.proportions,
            _bin_shares(pd.to_numeric(frame[feature], errors="coerce").to_numpy(dtype=float), bins.edges),
        )
        for feature, bins in reference.items()
        if feature in frame.columns
    }


def largest_psi(values: dict[str, float]) -> tuple[str | None, float | None]:
    """(feature, PSI) of the feature that moved most; (None, None) without features."""
    if not values:
        return None, None
    feature = max(sorted(values), key=lambda name: values[name])
    return feature, values[feature]


# --- ml.model_refresh_log ------------------------------------------------------------------

# The columns of ml.model_refresh_log (a contract: add, never rename or drop).
LOG_COLUMNS = {
    "build_id": "object",
    "logged_at": "datetime64[us]",
    "model_name": "object",
    "store": "object",
    "action": "object",
    "reason": "object",
    "model_version": "Int64",
    "duration_seconds": "float64",
    "peak_memory_mb": "float64",
    "decision_seconds": "float64",
    "fit_seconds": "float64",
    "score_seconds": "float64",
    "fitted_at": "datetime64[us]",
    "area": "object",
    "evaluation_action": "object",
    "evaluation_reason": "object",
}
STEPS = ("decision", "fit", "score")


def refresh_log(
    decisions: pd.DataFrame,
    fitted_now: pd.DataFrame,
    registry_rows: pd.DataFrame,
    step_records: dict,
    *,
    area: str,
    logged_at: datetime,
    evaluations: dict[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """ml.model_refresh_log rows of this build, one per decision (store + model_name): refitted
    (a version was registered on this build: fitted_now) or scored, why, the registered version
    that scored, when it was fitted, how long (decision + fit + scoring, as measured in this
    build's process: step_records[(store, model_name, step)]) and the highest peak memory of
    those steps. evaluations: {store: (evaluated | kept, why)} of an area whose evaluations are
    part of the fit (customer value); None elsewhere."""
    keys = ["store", "model_name"]
    latest = latest_versions(registry_rows, keys).set_index(keys) if len(registry_rows) else None
    rows = []
    for decision in decisions.itertuples():
        key = (decision.store, decision.model_name)
        refit = fitted_now[(fitted_now["store"] == key[0]) & (fitted_now["model_name"] == key[1])]
        steps = {step: step_records.get((*key, step)) for step in STEPS}
        seconds = {step: (record["seconds"] if record else None) for step, record in steps.items()}
        peaks = [record["rss_peak_mb"] for record in steps.values() if record]
        registered = latest.loc[key] if latest is not None and key in latest.index else None
        evaluation_action, evaluation_reason = (evaluations or {}).get(key[0], (None, None))
        rows.append(
            {
                "build_id": decision.build_id,
                "logged_at": logged_at,
                "model_name": key[1],
                "store": key[0],
                "action": "refitted" if len(refit) else "scored",
                "reason": refit["refit_reason"].iloc[0] if len(refit) else decision.reason,
                "model_version": int(registered["version"]) if registered is not None else None,
                "duration_seconds": round(float(np.nansum([s for s in seconds.values() if s is not None])), 2),
                "peak_memory_mb": max(peaks) if peaks else None,
                "decision_seconds": seconds["decision"],
                "fit_seconds": seconds["fit"] if len(refit) else None,
                "score_seconds": seconds["score"],
                "fitted_at": registered["fitted_at"] if registered is not None else None,
                "area": area,
                "evaluation_action": evaluation_action,
                "evaluation_reason": evaluation_reason,
            }
        )
    if not rows:
        return empty_like(LOG_COLUMNS)
    return pd.DataFrame(rows, columns=list(LOG_COLUMNS)).astype(LOG_COLUMNS)


def previous_table(session, schema: str, table: str, columns: str) -> pd.DataFrame | None:
    """A table as the previous build published it (the build copy starts from the served file),
    read by name from a dbt Python model (a ref would be a cycle when the table is built after
    the reader); None when it does not exist (first build)."""
    exists = session.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if not exists:
        return None
    return session.sql(f'select {columns} from "{schema}"."{table}"').df()


def is_true(setting) -> bool:
    """A var read through dbt.config.get (a string): true, 1 or yes."""
    return str(setting).strip().lower() in ("true", "1", "yes")


def registered_versions(dbt, session) -> dict[tuple[str, str], int]:
    """{(store, model_name): newest version} already in the incremental registry table a dbt
    Python model builds (dbt.this); empty when the table is built anew."""
    if not dbt.is_incremental:
        return {}
    query = f"select store, model_name, max(version) from {dbt.this} group by store, model_name"
    return {(store, name): version for store, name, version in session.sql(query).fetchall()}


def decision_table(
    targets,
    previous_registry: pd.DataFrame,
    decide,
    *,
    table: str,
    log_as: str,
    columns: dict[str, str],
    step_records: dict,
    build_id: str,
) -> pd.DataFrame:
    """A refit-decisions table: for each (store, model_name, label) of targets, decide(store,
    model_name, registered_row) (the newest registered row of that model, or None) gives the
    row; each decision is measured as table[store, model_name] (step_records[(store,
    model_name, 'decision')]) and logged under log_as."""
    keys = ["store", "model_name"]
    latest = latest_versions(previous_registry, keys).set_index(keys) if len(previous_registry) else None
    rows = []
    for store, model_name, label in targets:
        key = (store, model_name)
        with measured_model(f"{table}[{store}, {model_name}]") as record:
            registered_row = latest.loc[key] if latest is not None and key in latest.index else None
            row = decide(store, model_name, registered_row)
        row.update(build_id=build_id, store=store, model_name=model_name)
        row["decision_seconds"], row["decision_peak_mb"] = record["seconds"], record["rss_peak_mb"]
        step_records[(*key, "decision")] = record
        log_progress(log_as, f"{store} {label}: {row['action']} ({row['reason']})")
        rows.append(row)
    if not rows:
        return empty_like(columns)
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


# --- loading and scoring -------------------------------------------------------------------

# The newest registered version of each store's models, as a query on the relation of a
# registry table (store, model_name, version, model_bytes) named `registry`: the scoring
# models read only these.
LATEST_MODELS = (
    "select store, model_name, version, model_bytes from registry "
    "qualify row_number() over (partition by store, model_name order by version desc) = 1"
)


def add_score_record(step_records: dict, store: str, names, record: dict, step: str = "score") -> None:
    """Adds a scoring step's figures (a measured_model record) to step_records[(store, name,
    'score')] of each model it scored with (a model scored by two tables sums their seconds
    and keeps the higher peak); step 'fit' adds a fitting step's figures alike (a fit in two
    parts: the demand forecasters' backtest and estimate)."""
    for name in names:
        key = (store, name, step)
        previous = step_records.get(key)
        if previous is None:
            step_records[key] = {"seconds": record["seconds"], "rss_peak_mb": record["rss_peak_mb"]}
        else:
            previous["seconds"] = round(previous["seconds"] + record["seconds"], 2)
            previous["rss_peak_mb"] = max(previous["rss_peak_mb"], record["rss_peak_mb"])
