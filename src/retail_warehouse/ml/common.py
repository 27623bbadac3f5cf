"""What every ML area shares: output tables typed by one small vocabulary, per-store settings
from dbt config, seeded samples, one BLAS thread, progress lines in the dbt console and each
model's duration and peak memory."""

from __future__ import annotations

import functools
import json
import os
import resource
import sys
import threading
import time
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

# --- Output tables ----------------------------------------------------------------------------

# The column kinds of an ML table and the pandas dtype each is written as. Nullable dtypes, so a
# store-less build still gets a table of the right column types (an empty object column would
# land as INTEGER, an all-null one as NULL).
COLUMN_DTYPES = {
    "str": "string",
    "int": "Int64",
    "int32": "Int32",
    "float": "Float64",
    "bool": "boolean",
}
# date columns hold datetime.date values; an empty one is typed date32 so DuckDB makes it DATE.
EMPTY_DATE_DTYPE = pd.ArrowDtype(pa.date32())


def schema(text: str) -> dict[str, str]:
    """'name:kind name:kind ...' (kinds: str, int, int32, float, bool, date) as a dict."""
    return dict(item.split(":") for item in text.split())


def typed_table(frames: list[pd.DataFrame], columns: dict[str, str]) -> pd.DataFrame:
    """The frames stacked (any may be empty) with exactly the columns of `columns` (name ->
    kind, in order), each cast to its kind; a missing column is an error."""
    present = [frame for frame in frames if not frame.empty]
    if not present:
        return pd.DataFrame(
            {
                name: pd.Series(dtype=EMPTY_DATE_DTYPE if kind == "date" else COLUMN_DTYPES[kind])
                for name, kind in columns.items()
            }
        )
    table = pd.concat([frame[list(columns)] for frame in present], ignore_index=True)
    for name, kind in columns.items():
        if kind == "date":
            table[name] = pd.to_datetime(table[name]).dt.date
        else:
            table[name] = table[name].astype(COLUMN_DTYPES[kind])
    return table


# --- Settings ---------------------------------------------------------------------------------


# --- The scoring day ------------------------------------------------------------------------

# marts.customer_features' state of each customer on the store's scoring day (the day after its
# data end, marts.store_data_ends), defined once in SQL and read by every model that scores
# current customers.
SCORING_STATE_COLUMNS = (
    "scoring_date",
    "scoring_recency_days",
    "scoring_tenure_days",
    "is_scorable",
    "unscored_reason",
)


def as_of_scoring_date(customers: pd.DataFrame) -> pd.DataFrame:
    """customer_features rows (measured as of the day after the store's last order) as they
    stood on the scoring day: as_of_date, recency_days and tenure_days are the scoring_ columns;
    is_scorable false (recency and tenure null, unscored_reason saying why) for a customer with
    a sale order after the data end, kept so no model drops them silently."""
    frame = customers.drop(columns=["as_of_date", "recency_days", "tenure_days"], errors="ignore")
    frame = frame.rename(
        columns={
            "scoring_date": "as_of_date",
            "scoring_recency_days": "recency_days",
            "scoring_tenure_days": "tenure_days",
        }
    )
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    frame["is_scorable"] = frame["is_scorable"].astype(bool).to_numpy()
    for column in ("recency_days", "tenure_days"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def per_store(setting, store: str, name: str):
    """One store's value of a setting from dbt config: a mapping {store: value} (or its JSON
    text) names the store; a plain value applies to every store."""
    if isinstance(setting, str):
        try:
            setting = json.loads(setting)
        except json.JSONDecodeError:
            return setting
    if isinstance(setting, dict):
        if store not in setting:
            raise KeyError(f"setting {name} = {setting} has no value for store {store!r}")
        return setting[store]
    return setting


def neural_enabled(setting) -> bool:
    """The var ml_neural as dbt config passes it (a bool, or its text 'True' / 'false')."""
    if isinstance(setting, bool):
        return setting
    text = str(setting).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"ml_neural = {setting!r}: expected true or false")
    return text == "true"


# --- Seeded samples ---------------------------------------------------------------------------


def hash_sample_positions(keys, size: int, seed: int) -> np.ndarray:
    """Sorted positions of the min(n, size) keys with the smallest seeded hash (SipHash, the
    same on every machine). Whether a row is sampled depends on its key alone, not on its
    position: a new customer enters the sample or not, and nobody else moves in or out."""
    keys = np.asarray(keys, dtype=object)
    if len(keys) <= size:
        return np.arange(len(keys))
    hashes = pd.util.hash_array(keys.astype(str).astype(object), hash_key=f"{seed % 10**16:016d}")
    return np.sort(np.argsort(hashes, kind="stable")[:size])


# --- Paired comparisons -----------------------------------------------------------------------


def paired_difference_interval(
    statistic, model_values, reference_values, seed: int, *, n_resamples: int = 1000, batch: int | None = None
) -> dict[str, float | None]:
    """statistic(model_values) - statistic(reference_values) over the same rows (a model and
    its baseline, row by row) and its 95% percentile interval from a seeded paired bootstrap
    of the rows (scipy.stats.bootstrap; `batch` resamples at once bounds memory). `statistic`
    is vectorised: statistic(values, axis). The interval is the difference itself when the two
    are equal or there is one row; all None without rows."""
    from scipy.stats import bootstrap

    model_values = np.asarray(model_values, dtype=float)
    reference_values = np.asarray(reference_values, dtype=float)
    if len(model_values) == 0:
        return {"difference": None, "lower": None, "upper": None}

    def difference_of(model, reference, axis=-1):
        return statistic(model, axis=axis) - statistic(reference, axis=axis)

    difference = float(difference_of(model_values, reference_values))
    if len(model_values) < 2 or np.array_equal(model_values, reference_values):
        return {"difference": difference, "lower": difference, "upper": difference}
    interval = bootstrap(
        (model_values, reference_values),
        difference_of,
        paired=True,
        vectorized=True,
        n_resamples=n_resamples,
        batch=batch,
        confidence_level=0.95,
        method="percentile",
        rng=np.random.default_rng(seed),
    ).confidence_interval
    return {"difference": difference, "lower": float(interval.low), "upper": float(interval.high)}


def paired_labelled_difference_interval(
    statistic, labels, model_values, reference_values, seed: int, *, n_resamples: int = 1000, batch: int = 50
) -> dict[str, float | None]:
    """paired_difference_interval for a statistic of labels and values, statistic(labels,
    values) such as a ROC-AUC: the difference over the same rows and its 95% percentile
    interval from a seeded paired bootstrap of the rows (scipy.stats.bootstrap), resamples
    whose labels hold one class skipped (the statistic is undefined there). All NaN when the
    rows hold one class."""
    from scipy.stats import DegenerateDataWarning, bootstrap

    labels = np.asarray(labels, dtype=bool)
    model_values = np.asarray(model_values, dtype=float)
    reference_values = np.asarray(reference_values, dtype=float)
    if labels.all() or not labels.any():
        return {"difference": float("nan"), "lower": float("nan"), "upper": float("nan")}

    def difference_of(sampled_labels, model, reference):
        if sampled_labels.all() or not sampled_labels.any():
            return np.nan
        return statistic(sampled_labels, model) - statistic(sampled_labels, reference)

    difference = float(difference_of(labels, model_values, reference_values))
    with warnings.catch_warnings():
        # scipy warns of the skipped (NaN) resamples; they are left out below.
        warnings.simplefilter("ignore", DegenerateDataWarning)
        resampled = bootstrap(
            (labels, model_values, reference_values),
            difference_of,
            paired=True,
            vectorized=False,
            n_resamples=n_resamples,
            batch=batch,
            method="percentile",
            rng=np.random.default_rng(seed),
        ).bootstrap_distribution
    lower, upper = np.nanquantile(resampled, [0.025, 0.975])
    return {"difference": difference, "lower": float(lower), "upper": float(upper)}


# --- Threads ----------------------------------------------------------------------------------


@contextmanager
def single_threaded():
    """BLAS / OpenMP on one thread: parallel reductions sum in a varying order, and the same
    input must give the same output, bit for bit, on every build. (Also several times faster
    than BLAS threads competing for the cores of a busy build machine.)"""
    with threadpool_limits(limits=1):
        yield


# --- Progress ---------------------------------------------------------------------------------


def log_progress(model: str, message: str) -> None:
    """A progress line on stderr, where the `dbt build` console shows it (dbt-duckdb runs the
    Python models in its own process)."""
    print(f"{time.strftime('%H:%M:%S')} {model}: {message}", file=sys.stderr, flush=True)


@contextmanager
def timed_step(model: str, step: str):
    """Logs the start and the duration of one step of a model."""
    log_progress(model, f"{step} ...")
    started = time.perf_counter()
    yield
    log_progress(model, f"{step} done in {time.perf_counter() - started:.1f} s")


# --- Resources --------------------------------------------------------------------------------

# JSON lines file each measured model appends its resource record to (unset: console only).
RESOURCES_LOG_ENV = "RETAIL_WAREHOUSE_MODEL_RESOURCES"
RSS_SAMPLE_SECONDS = 0.02
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# Running measured models -> the models that ran beside each meanwhile.
_running_models: dict[str, set[str]] = {}
_running_lock = threading.Lock()


def current_rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux /proc; the process peak elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES / 2**20
    except OSError:
        return process_peak_rss_mb()


def process_peak_rss_mb() -> float:
    """The most resident memory this process has held so far, in MB (kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class _RssSampler(threading.Thread):
    """Samples the process's resident memory every RSS_SAMPLE_SECONDS until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_mb = current_rss_mb()
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.wait(RSS_SAMPLE_SECONDS):
            self.peak_mb = max(self.peak_mb, current_rss_mb())

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return max(self.peak_mb, current_rss_mb())


@contextmanager
def measured_model(model: str):
    """Measures one model (the whole body of a dbt Python model: reading its inputs, fitting,
    scoring, building its table) and logs one line `<model>: resources {json}` on stderr (in
    the `dbt build` console and the bench's step logs), also appended to the JSON lines file
    named by the env var RETAIL_WAREHOUSE_MODEL_RESOURCES when set.

    The record: seconds; rss_start_mb, rss_peak_mb, rss_end_mb of the process; peak_over_start_mb
    (what the model added at its peak); peak_is_exact: the process reached a new high while the
    model ran, so rss_peak_mb is the kernel's own high-water mark, otherwise the highest of
    samples every 20 ms (a shorter spike can be missed); concurrent_models: the models that
    ran in the same process meanwhile (dbt runs Python models on its threads, so their memory
    is in the same RSS: a figure with concurrent models is an upper bound for this one)."""
    with _running_lock:
        for others in _running_models.values():
            others.add(model)
        _running_models[model] = set(_running_models)
    process_peak_before = process_peak_rss_mb()
    rss_start = current_rss_mb()
    sampler = _RssSampler()
    sampler.start()
    started = time.perf_counter()
    outcome = "failed"
    # Filled when the block ends, so a caller can keep the figures (ml.model_refresh_log).
    filled: dict = {}
    try:
        yield filled
        outcome = "ok"
    finally:
        seconds = time.perf_counter() - started
        sampled_peak = sampler.stop()
        process_peak_after = process_peak_rss_mb()
        exact = process_peak_after > process_peak_before
        with _running_lock:
            concurrent = _running_models.pop(model, set())
        peak = process_peak_after if exact else sampled_peak
        record = {
            "model": model,
            "outcome": outcome,
            "seconds": round(seconds, 2),
            "rss_start_mb": round(rss_start, 1),
            "rss_peak_mb": round(peak, 1),
            "rss_end_mb": round(current_rss_mb(), 1),
            "peak_over_start_mb": round(peak - rss_start, 1),
            "peak_is_exact": exact,
            "concurrent_models": sorted(concurrent),
            "pid": os.getpid(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        filled.update(record)
        log_progress(model, f"resources {json.dumps(record)}")
        path = os.environ.get(RESOURCES_LOG_ENV)
        if path:
            with _running_lock, open(path, "a") as log:
                log.write(json.dumps(record) + "\n")


def measured(model_function):
    """Decorates the model(dbt, session) function of a dbt Python model: its whole run,
    reading the inputs included, is measured_model(<the model's name>). (dbt's parser wants the
    function body to end in its return, so a decorator rather than a with block.)"""

    @functools.wraps(model_function)
    def model(dbt, session):
        with measured_model(dbt.this.identifier):
            return model_function(dbt, session)

    return model
