"""Progress lines for long ML steps, written to stderr so they show in the `dbt build` console
(dbt-duckdb runs Python models in its own process)."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager


def log_progress(model: str, message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {model}: {message}", file=sys.stderr, flush=True)


@contextmanager
def timed_step(model: str, step: str):
    """Logs the start and the duration of one step of a model."""
    log_progress(model, f"{step} ...")
    started = time.perf_counter()
    yield
    log_progress(model, f"{step} done in {time.perf_counter() - started:.1f} s")
