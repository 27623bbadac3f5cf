"""Seeded random streams and counter-based hashing.

Every table and every chunk draws from its own numpy Generator, seeded by (seed, stream,
chunk index), so a chunk's content never depends on how many numbers another chunk used.
Ids and per-entity attributes that must be recomputable anywhere (a returning Olist
customer's zip, a 32-hex id) come from a hash of (key, index) instead of a stream.
"""

from __future__ import annotations

import numpy as np

# Stream numbers: one per independent part of the data.
STREAM_CATALOGUE = 1
STREAM_ONLINE_RETAIL_I = 2
STREAM_ONLINE_RETAIL_II = 3
STREAM_OLIST_REFERENCE = 4
STREAM_OLIST_ORDERS = 5
STREAM_OLIST_GEOLOCATION = 6
STREAM_OLIST_IDS = 7

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def rng_for(seed: int, stream: int, *index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream, *index]))


def hash_key(seed: int, *parts: int) -> np.uint64:
    """A 64-bit key for `mix64`, different for every (seed, parts)."""
    return np.random.SeedSequence([seed, *parts]).generate_state(1, np.uint64)[0]


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection on uint64, so distinct inputs give distinct outputs."""
    x = values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (x ^ (x >> np.uint64(31))) & _MASK64


def hashed_uniform(key: np.uint64, index: np.ndarray) -> np.ndarray:
    """A uniform [0, 1) number per index, the same wherever it is computed."""
    bits = mix64(np.asarray(index, dtype=np.uint64) ^ key)
    return (bits >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def cdf(weights: np.ndarray) -> np.ndarray:
    """Normalised cumulative weights, starting at 0: sample with searchsorted(cdf, u, 'right') - 1."""
    cumulative = np.concatenate([[0.0], np.cumsum(weights)])
    return cumulative / cumulative[-1]


def random_picks(
    rng: np.random.Generator, n: int, rate: float, at_least: int | bool = 0, among: np.ndarray | None = None
) -> np.ndarray:
    """A mask of n items, `rate` of them (of the candidate indices `among`, if given) picked."""
    candidates = np.arange(n) if among is None else among
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(candidates, size=count_at_rate(rng, len(candidates), rate, at_least), replace=False)] = True
    return mask


def count_at_rate(rng: np.random.Generator, n: int, rate: float, at_least: int | bool = 0) -> int:
    """How many of n items get a quirk; `at_least` keeps a rare quirk visible in small data."""
    if n <= 0:
        return 0
    return min(n, max(int(at_least), int(rng.binomial(n, rate))))
