"""When things happen: day weights (trend, weekday, season), time of day, and chunking.

Time is int64 seconds since 1970-01-01 (naive, no time zone), like the real files.
A position in the period is a *quantile* q in [0, 1) of the calendar's cumulative
intensity: a chunk holding lines [a, b) of N covers quantiles [a/N, b/N), so chunks come
out in time order and every chunk has the same seasonality as the whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .randomness import cdf

SECONDS_PER_DAY = 86_400
# Excel serial date of 1970-01-01 (1900 date system).
EXCEL_EPOCH_OFFSET_DAYS = 25_569


def epoch_seconds(day: str) -> int:
    return int((dt.date.fromisoformat(day) - dt.date(1970, 1, 1)).days) * SECONDS_PER_DAY


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) for days since 1970-01-01; vectorised (H. Hinnant's algorithm)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def months_of(seconds: np.ndarray) -> np.ndarray:
    """Calendar month 1..12 of each time."""
    return civil_from_days(seconds // SECONDS_PER_DAY)[1]


@dataclass(frozen=True)
class Calendar:
    """Inverse-CDF sampler over a day range with per-day and per-hour weights."""

    first_day_seconds: int
    day_cdf: np.ndarray  # len(days) + 1, from 0 to 1
    hour_cdf: np.ndarray  # 25, from 0 to 1
    whole_minutes: bool  # Online Retail times have seconds 00

    @classmethod
    def build(
        cls,
        first_day: str,
        last_day: str,
        day_weight: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
        hour_weights: np.ndarray,
        whole_minutes: bool,
    ) -> Calendar:
        """day_weight(year, month, day, weekday 0=Monday) -> weight per day."""
        start = epoch_seconds(first_day) // SECONDS_PER_DAY
        days = np.arange(start, epoch_seconds(last_day) // SECONDS_PER_DAY + 1)
        year, month, day = civil_from_days(days)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
        weights = np.asarray(day_weight(year, month, day, weekday), dtype=np.float64)
        return cls(
            first_day_seconds=int(start * SECONDS_PER_DAY),
            day_cdf=cdf(weights),
            hour_cdf=cdf(np.asarray(hour_weights, dtype=np.float64)),
            whole_minutes=whole_minutes,
        )

    def time_at(self, q: np.ndarray) -> np.ndarray:
        """Seconds for quantiles q (monotone: sorted q give sorted times)."""
        q = np.asarray(q, dtype=np.float64)
        day, within_day = _invert(self.day_cdf, q)
        hour, within_hour = _invert(self.hour_cdf, within_day)
        seconds_of_day = hour * 3600 + np.minimum((within_hour * 3600).astype(np.int64), 3599)
        if self.whole_minutes:
            seconds_of_day -= seconds_of_day % 60
        return self.first_day_seconds + day * SECONDS_PER_DAY + seconds_of_day

    def quantile_at(self, seconds: int) -> float:
        """Share of the period's intensity before `seconds` (day resolution is enough here)."""
        day = (seconds - self.first_day_seconds) // SECONDS_PER_DAY
        return float(self.day_cdf[int(np.clip(day, 0, len(self.day_cdf) - 1))])

    def sorted_times(self, rng: np.random.Generator, n: int, q0: float, q1: float) -> tuple[np.ndarray, np.ndarray]:
        """n sorted (quantile, seconds) pairs drawn uniformly from quantiles [q0, q1)."""
        q = np.sort(rng.uniform(q0, q1, n))
        return q, self.time_at(q)


def _invert(cdf: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bin index and position inside the bin; 'right' skips zero-weight bins."""
    index = np.clip(np.searchsorted(cdf, q, side="right") - 1, 0, len(cdf) - 2)
    width = cdf[index + 1] - cdf[index]
    within = np.clip((q - cdf[index]) / np.where(width > 0, width, 1.0), 0.0, 1.0 - 1e-12)
    return index.astype(np.int64), within


@dataclass(frozen=True)
class Chunk:
    index: int
    segment: int  # which part between cuts (e.g. which workbook sheet)
    start: int  # first row number (0-based)
    size: int
    q0: float
    q1: float


def chunk_plan(total: int, max_chunk: int, cuts: Sequence[float] = ()) -> list[Chunk]:
    """Near-equal chunks covering `total` rows, each with its quantile range.

    No chunk straddles a cut (a quantile, e.g. where a new workbook sheet starts), so the
    number of rows on each side of a cut is known before anything is generated.
    """
    bounds = [0.0, *cuts, 1.0]
    row_bounds = [round(total * q) for q in bounds]
    chunks: list[Chunk] = []
    for segment in range(len(bounds) - 1):
        q_low, q_high = bounds[segment], bounds[segment + 1]
        first, rows = row_bounds[segment], row_bounds[segment + 1] - row_bounds[segment]
        if rows <= 0:
            continue
        n_chunks = -(-rows // max_chunk)
        base, extra = divmod(rows, n_chunks)
        done = 0
        for k in range(n_chunks):
            size = base + (k < extra)
            q0 = q_low + (q_high - q_low) * done / rows
            q1 = q_low + (q_high - q_low) * (done + size) / rows
            chunks.append(Chunk(len(chunks), segment, first + done, size, q0, q1))
            done += size
    return chunks
