"""What every ML area shares: output tables typed by one small vocabulary, per-store settings
from dbt config, seeded samples, one BLAS thread, and progress lines in the dbt console."""

from __future__ import annotations

import json
import sys
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


# --- Seeded samples ---------------------------------------------------------------------------


def sample_positions(n: int, size: int, seed: int, *, legacy_generator: bool = False) -> np.ndarray:
    """Sorted positions of a seeded sample of min(n, size) of n rows (all of them when n <= size).

    legacy_generator draws with numpy's RandomState, as pandas' DataFrame.sample does, instead
    of numpy's Generator: the two draw different samples from the same seed, and the
    customer-value models have always been fitted on the RandomState ones, so they keep them
    (and their published scores)."""
    if n <= size:
        return np.arange(n)
    generator = np.random.RandomState(seed) if legacy_generator else np.random.default_rng(seed)
    return np.sort(generator.choice(n, size, replace=False))


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
