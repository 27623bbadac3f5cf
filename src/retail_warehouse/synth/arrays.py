"""Small vectorised helpers on numpy arrays."""

from __future__ import annotations

import numpy as np


def expand(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes laid end to end: (group, 0-based position in group) per element."""
    sizes = np.asarray(sizes, dtype=np.int64)
    group = np.repeat(np.arange(len(sizes)), sizes)
    return group, np.arange(len(group)) - (np.cumsum(sizes) - sizes)[group]
