"""Synthetic data in the exact file formats of the two real public data sets.

    generate(out_dir, lines=100_000, seed=42, formats=("csv", "xlsx")) -> manifest dict

writes, under out_dir:
    online_retail/online_retail.csv, online_retail/Online Retail.xlsx        (UCI Online Retail I)
    online_retail/online_retail_II.csv, online_retail/online_retail_II.xlsx  (Online Retail II)
    olist/<the nine Olist CSVs>
    synth_manifest.json  (seed, lines, rows per file, counts of every injected quirk)

`lines` is the exact number of Online Retail I lines; II has twice as many (two years),
Olist has lines / 5 orders. `formats` applies to Online Retail (Olist exists only as CSV).
Same seed and lines give byte-identical files. Memory stays flat: data is made and
written in chunks; workbooks are skipped when a sheet would exceed Excel's row limit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from .olist import write_olist
from .online_retail import ONLINE_RETAIL_I, ONLINE_RETAIL_II, write_online_retail
from .retail_catalogue import build_catalogue

FORMATS = ("csv", "xlsx")
MANIFEST_NAME = "synth_manifest.json"
# Below this many lines, starting worker processes costs more than it saves.
PARALLEL_FROM_LINES = 50_000


def generate(
    out_dir: str | os.PathLike,
    lines: int = 100_000,
    seed: int = 42,
    formats: Iterable[str] = FORMATS,
    workers: int | None = None,
) -> dict:
    """Write all files and synth_manifest.json; return the manifest.

    workers: processes for the three independent parts (Online Retail I, II, Olist);
    default: up to the CPU count for big runs, 1 for small ones. The bytes do not depend on it.
    """
    formats = tuple(dict.fromkeys(formats))
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ValueError(f"formats must be a non-empty subset of {FORMATS}, got {formats}")
    if lines < 1 or seed < 0:
        raise ValueError("lines must be >= 1 and seed >= 0")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    catalogue = build_catalogue(seed)  # one retailer: I and II sell the same products
    tasks = [
        (write_online_retail, (out, ONLINE_RETAIL_II, catalogue, lines, seed, formats)),  # the biggest first
        (write_online_retail, (out, ONLINE_RETAIL_I, catalogue, lines, seed, formats)),
        (write_olist, (out, lines, seed)),
    ]
    if workers is None:
        workers = min(len(tasks), os.cpu_count() or 1) if lines >= PARALLEL_FROM_LINES else 1
    if workers > 1:
        # 'spawn': forking a process that already runs Arrow/DuckDB threads is not safe.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            parts = [future.result() for future in [pool.submit(function, *args) for function, args in tasks]]
    else:
        parts = [function(*args) for function, args in tasks]
    ii, i, olist = parts
    manifest = {
        "generator": "retail_warehouse.synth",
        "seed": seed,
        "lines": lines,
        "formats": list(formats),
        "files": {**i["files"], **ii["files"], **olist["files"]},
        "quirks": {ONLINE_RETAIL_I.key: i["quirks"], ONLINE_RETAIL_II.key: ii["quirks"], "olist": olist["quirks"]},
        "notes": i["notes"] + ii["notes"],
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


__all__ = ["FORMATS", "MANIFEST_NAME", "generate"]
