"""Output tables of the ML models with a fixed column list and types, so a store with no
rows (absent, or too small to model) still yields a table of the right shape."""

from __future__ import annotations

import pandas as pd


def typed_table(frames: list[pd.DataFrame], schema: dict[str, str]) -> pd.DataFrame:
    """Concatenates `frames` (any may be empty) into the columns of `schema` (name -> pandas
    dtype, in order), casting each column; missing columns are an error."""
    present = [frame for frame in frames if not frame.empty]
    if not present:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in schema.items()})
    table = pd.concat([frame[list(schema)] for frame in present], ignore_index=True)
    return table.astype(schema)
