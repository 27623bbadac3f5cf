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


def recorded_real_inputs(served_path: Path) -> tuple[str, str] | None:
    """The real inputs (Online Retail file, Olist folder) the served warehouse was built
    from, as its raw.landing__file_loads recorded them; None when there is no served file or
    it was built from synthetic data."""
    import duckdb

    if not served_path.exists():
        return None
    try:
        with duckdb.connect(str(served_path), read_only=True) as con:
            rows = con.execute(
                "select store, file_path from raw.landing__file_loads "
                "where not is_synthetic and status <> 'store_not_given' and file_path is not null"
            ).fetchall()
    except duckdb.CatalogException:
        return None
    except duckdb.Error as error:
        raise InputFileError(
            served_path,
            f"no input given, and the served warehouse cannot be read to find the inputs it was built from ({error})",
            expected=GIVE_INPUTS,
        ) from error
    if not rows:
        return None
    given = _recorded_online_retail_input(served_path)
    online_retail = next((path for store, path in rows if store == "online_retail"), "")
    if given is not None and given[0]:
        online_retail = given[0]
    olist = next((str(Path(path).parent) for store, path in rows if store == "olist"), "")
    return online_retail, olist


def _recorded_online_retail_input(served_path: Path) -> tuple[str] | None:
    """The Online Retail path given (a file or a folder), as recorded in
    raw.landing__file_loads.input_path; None when the served file predates that column."""
    import duckdb

    try:
        with duckdb.connect(str(served_path), read_only=True) as con:
            return con.execute(
                "select input_path from raw.landing__file_loads "
                "where store = 'online_retail' and not is_synthetic and input_path is not null limit 1"
            ).fetchone()
    except duckdb.Error:
        return None


GIVE_INPUTS = (
    "ONLINE_RETAIL_PATH / OLIST_DIR (vars online_retail_path / olist_dir), or var use_synthetic_data: true "
    "to replace the served warehouse with synthetic data"
)


def reuse_recorded_inputs(served_path: Path) -> tuple[str, str] | None:
    """With no input given: the inputs the served warehouse was built from, checked to exist,
    so a plain `dbt build` refreshes from the same files; None when it holds synthetic data
    (or does not exist). Synthetic data never silently replaces a warehouse built from real
    files: when those files are gone, the build is refused."""
    recorded = recorded_real_inputs(served_path)
    if recorded is None:
        return None
    for path in recorded:
        if path and not Path(path).exists():
            raise InputFileError(
                path,
                f"no input given, and the served warehouse {served_path} was built from this path, which is not found",
                expected=GIVE_INPUTS,
            )
    return recorded


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


ONLINE_RETAIL_SUFFIXES = (".csv", ".csv.gz", ".xlsx", ".xlsm")


def online_retail_files(path: Path) -> list[Path]:
    """The Online Retail files of a build: the file given, or every .csv, .csv.gz and .xlsx
    file in the folder given (one export per day or week, formats mixed), by name. Hidden
    files and Excel's lock files (~$...) are not exports; other files are listed by
    ignored_online_retail_files."""
    if not path.is_dir():
        return [path]
    files = [child for child in sorted(path.iterdir()) if _is_online_retail_export(child)]
    if not files:
        raise InputFileError(
            path,
            "folder has no Online Retail export",
            expected=f"files named *{', *'.join(ONLINE_RETAIL_SUFFIXES)} in the folder",
        )
    return files


def ignored_online_retail_files(path: Path) -> list[Path]:
    """The files of an Online Retail folder that are not read (not .csv, .csv.gz or .xlsx)."""
    if not path.is_dir():
        return []
    return [
        child
        for child in sorted(path.iterdir())
        if child.is_file() and not child.name.startswith((".", "~$")) and not _is_online_retail_export(child)
    ]


def _is_online_retail_export(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and not name.startswith((".", "~$")) and name.endswith(ONLINE_RETAIL_SUFFIXES)


def expected_olist_names(spec: OlistFile) -> str:
    return f"{spec.file_stem}.csv or {spec.file_stem}.csv.gz"


__all__ = [
    "OLIST_FILES",
    "Inputs",
    "expected_olist_names",
    "ignored_online_retail_files",
    "olist_file_path",
    "online_retail_files",
    "resolve_inputs",
]
