"""Atomic publish of the warehouse file that BI readers open.

`dbt build` never writes the served file (``RETAIL_WAREHOUSE``). It writes a build copy with
the same file name in a ``.build`` folder beside it (profiles.yml derives that path), so a BI
tool holding the served file open never blocks the build and never sees a half-built state.
When a complete `dbt build` has succeeded, the ``on-run-end`` hook (macros/publish.sql)
checkpoints the build copy and calls the SQL function ``publish_warehouse()``, which the
landing plugin registers on the dbt connection and which runs :func:`publish`:

1. copy the build file to a temporary file in the served file's folder (same file system),
2. fsync it,
3. ``os.replace`` it onto the served path (atomic on POSIX: a reader opening the path gets the
   old file or the new one, never a mix; a reader that holds the old file keeps reading it),
4. fsync the folder, so the rename survives a power cut.

A build that fails, is killed or is partial never reaches step 3, so the served file stays
byte-identical. A temporary file left by a build killed during step 1 or 2 is removed by
the next publish.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

BUILD_FOLDER = ".build"
TEMP_PREFIX = ".publish-"
TEMP_SUFFIX = ".tmp"
# Tests only: seconds to wait between writing the temporary copy and the rename, so a test
# can kill the build at that moment and prove the served file is untouched.
PAUSE_ENV = "RETAIL_WAREHOUSE_PUBLISH_PAUSE_SECONDS"


def build_path_for(served_path: Path | str) -> Path:
    """The build copy of a served file: same name (DuckDB derives the catalog name from it,
    and dbt-duckdb views name the catalog), in the `.build` folder beside it."""
    served = Path(served_path)
    return served.parent / BUILD_FOLDER / served.name


def seed_build_file(build_path: Path | str, served_path: Path | str) -> bool:
    """Before the build opens its copy: create its folder and, when there is no build copy yet
    but a served file exists, start from the served file (so `dbt build --select ...` works on
    a fresh checkout of the build folder). Returns whether it copied."""
    build, served = Path(build_path), Path(served_path)
    build.parent.mkdir(parents=True, exist_ok=True)
    if build.exists() or not served.is_file():
        return False
    temp = build.with_name(f"{TEMP_PREFIX}{build.name}.{os.getpid()}{TEMP_SUFFIX}")
    shutil.copyfile(served, temp)
    os.replace(temp, build)
    return True


def publish(build_path: Path | str, served_path: Path | str) -> str:
    """Atomically replace the served file with a copy of the (checkpointed) build file."""
    build, served = Path(build_path), Path(served_path)
    if build.resolve() == served.resolve():
        raise ValueError(f"build file and served file are the same file: {build}")
    if not build.is_file():
        raise FileNotFoundError(f"build file {build} not found")
    wal = Path(f"{build}.wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise RuntimeError(f"build file {build} has a non-empty WAL: run CHECKPOINT before publishing")
    served.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(served)
    temp = served.with_name(f"{TEMP_PREFIX}{served.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        with build.open("rb") as source, temp.open("wb") as target:
            shutil.copyfileobj(source, target, length=16 * 1024 * 1024)
            target.flush()
            os.fsync(target.fileno())
        pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        if pause > 0:
            time.sleep(pause)
        # A WAL left beside the served file by an old direct write would be replayed into
        # the new file by the next reader: it belongs to the old file, so it goes.
        Path(f"{served}.wal").unlink(missing_ok=True)
        os.replace(temp, served)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(served.parent)
    return f"published {build} to {served} ({served.stat().st_size} bytes)"


def remove_stale_temp_files(served: Path) -> list[Path]:
    """Temporary copies left by a publish that was killed (only one build runs at a time:
    the build file is locked by DuckDB while dbt runs)."""
    stale = sorted(served.parent.glob(f"{TEMP_PREFIX}{served.name}.*{TEMP_SUFFIX}"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
