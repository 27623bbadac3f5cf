"""Which input files a build reads: the given paths, or the synthetic data set."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .errors import InputFileError
from .specs import OLIST_FILES, OlistFile

SYNTHETIC_LINES = 100_000
SYNTHETIC_SEED = 42
SYNTHETIC_DONE_MARKER = "synth_manifest.json"
_synthetic_lock = threading.Lock()


@dataclass(frozen=True)
class Inputs:
    online_retail_path: Path | None
    olist_dir: Path | None
    synthetic: bool


def resolve_inputs(online_retail_path: str, olist_dir: str, synthetic_dir: Path) -> Inputs:
    """Given paths win; with neither given, the synthetic data set (generated on first use)."""
    online_retail_path = (online_retail_path or "").strip()
    olist_dir = (olist_dir or "").strip()
    if online_retail_path or olist_dir:
        return Inputs(
            online_retail_path=Path(online_retail_path) if online_retail_path else None,
            olist_dir=Path(olist_dir) if olist_dir else None,
            synthetic=False,
        )
    ensure_synthetic_data(synthetic_dir)
    return Inputs(
        online_retail_path=synthetic_dir / "online_retail" / "online_retail.csv",
        olist_dir=synthetic_dir / "olist",
        synthetic=True,
    )


def ensure_synthetic_data(synthetic_dir: Path) -> None:
    """Generate the default synthetic files once; a half-written folder is never used."""
    with _synthetic_lock:
        if (synthetic_dir / SYNTHETIC_DONE_MARKER).exists():
            return
        from retail_warehouse.synth import generate

        synthetic_dir.parent.mkdir(parents=True, exist_ok=True)
        staging_dir = Path(tempfile.mkdtemp(prefix=".synthetic-", dir=synthetic_dir.parent))
        try:
            generate(staging_dir, lines=SYNTHETIC_LINES, seed=SYNTHETIC_SEED, formats=("csv",))
            if synthetic_dir.exists():
                shutil.rmtree(synthetic_dir)
            os.replace(staging_dir, synthetic_dir)
        finally:
            shutil.rmtree(staging_dir, ignore_errors=True)


def olist_file_path(olist_dir: Path, spec: OlistFile) -> Path | None:
    """The .csv or .csv.gz file for `spec` in `olist_dir`, or None when it is absent."""
    if not olist_dir.is_dir():
        raise InputFileError(olist_dir, "Olist folder not found", expected="a folder holding the Olist CSV files")
    found = [
        olist_dir / f"{spec.file_stem}{suffix}"
        for suffix in (".csv", ".csv.gz")
        if (olist_dir / f"{spec.file_stem}{suffix}").exists()
    ]
    if len(found) > 1:
        raise InputFileError(
            found[0],
            f"both {found[0].name} and {found[1].name} exist; which one to read is ambiguous",
            expected="one file per Olist table",
        )
    return found[0] if found else None


def expected_olist_names(spec: OlistFile) -> str:
    return f"{spec.file_stem}.csv or {spec.file_stem}.csv.gz"


__all__ = ["OLIST_FILES", "Inputs", "expected_olist_names", "olist_file_path", "resolve_inputs"]
