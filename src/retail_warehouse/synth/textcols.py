"""Turn numpy columns into Arrow string columns in the exact text forms of the real files.

All vectorised: fixed-width texts (timestamps, hex ids) are built as a byte matrix and
wrapped as an Arrow StringArray without a per-value Python step.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .calendar import SECONDS_PER_DAY, civil_from_days
from .randomness import mix64

_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_TIMESTAMP_TEMPLATE = np.frombuffer(b"0000-00-00 00:00:00", dtype=np.uint8)
# (position, width) of year, month, day, hour, minute, second in the template
_TIMESTAMP_FIELDS = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))


def fixed_width_strings(matrix: np.ndarray) -> pa.StringArray:
    """Rows of an (n, width) uint8 ASCII matrix as an Arrow string array."""
    n, width = matrix.shape
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    data = np.ascontiguousarray(matrix, dtype=np.uint8)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _put_digits(matrix: np.ndarray, position: int, width: int, values: np.ndarray) -> None:
    for k in range(width):
        matrix[:, position + width - 1 - k] = 48 + (values // 10**k) % 10


def timestamps(seconds: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    """'YYYY-MM-DD HH:MM:SS' for epoch seconds; null where null_mask is True."""
    seconds = np.asarray(seconds, dtype=np.int64)
    days, second_of_day = np.divmod(seconds, SECONDS_PER_DAY)
    year, month, day = civil_from_days(days)
    hour, rest = np.divmod(second_of_day, 3600)
    minute, second = np.divmod(rest, 60)
    matrix = np.tile(_TIMESTAMP_TEMPLATE, (len(seconds), 1))
    for (position, width), values in zip(_TIMESTAMP_FIELDS, (year, month, day, hour, minute, second)):
        _put_digits(matrix, position, width, values)
    return with_nulls(fixed_width_strings(matrix), null_mask)


def hex_ids(key: np.uint64, index: np.ndarray) -> pa.StringArray:
    """32 lower-case hex characters per index: Olist's anonymised ids, unique per key."""
    index = np.asarray(index, dtype=np.uint64)
    high = mix64((index << np.uint64(1)) ^ key)
    low = mix64(((index << np.uint64(1)) | np.uint64(1)) ^ key)
    raw = np.stack([high, low], axis=1).astype(">u8").view(np.uint8).reshape(len(index), 16)
    nibbles = np.empty((len(index), 32), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 15
    return fixed_width_strings(_HEX_DIGITS[nibbles])


def zero_padded(values: np.ndarray, width: int) -> pa.StringArray:
    """Non-negative integers as fixed-width text with leading zeros (Olist zip prefixes)."""
    matrix = np.empty((len(values), width), dtype=np.uint8)
    _put_digits(matrix, 0, width, np.asarray(values, dtype=np.int64))
    return fixed_width_strings(matrix)


def integers(values: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    return with_nulls(pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string()), null_mask)


def shortest_decimals(values: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    """Shortest round-trip form, no '.0' (Olist payments: '100', '99.3'; coordinates)."""
    return with_nulls(pc.cast(pa.array(np.asarray(values, dtype=np.float64)), pa.string()), null_mask)


def python_floats(values: np.ndarray, null_mask: np.ndarray | None = None) -> pa.Array:
    """Python repr of floats ('18.0', '2.55', '0.001'): how pandas wrote the Online Retail prices."""
    text = shortest_decimals(values)
    needs_point = pc.invert(pc.match_substring_regex(text, r"[.eE]|inf|nan"))
    return with_nulls(pc.if_else(needs_point, pc.binary_join_element_wise(text, ".0", ""), text), null_mask)


def cents_two_decimals(cents: np.ndarray) -> pa.Array:
    """Exactly two decimals from integer cents ('58.90', '0.00'); cents are non-negative."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = pc.cast(pa.array(cents // 100), pa.string())
    return pc.binary_join_element_wise(whole, zero_padded(cents % 100, 2), ".")


def with_nulls(array: pa.Array, null_mask: np.ndarray | None) -> pa.Array:
    if null_mask is None or not np.any(null_mask):
        return array
    return pc.if_else(pa.array(np.asarray(null_mask, dtype=bool)), pa.nulls(len(array), pa.string()), array)


def lookup(table: pa.Array, index: np.ndarray) -> pa.Array:
    """table[index] for a small vocabulary (descriptions, countries, city names)."""
    return table.take(pa.array(np.asarray(index, dtype=np.int64)))
