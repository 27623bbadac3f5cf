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

Faults of the machine speak one line (:class:`PublishFault`, naming the path and the cause):
a second build while one runs stops at once (:func:`acquire_build_lock`: a lock file in the
build folder, released by the operating system when the build's process ends, even killed);
a folder that cannot be written, a full disk: the served file stays as it was and the build
copy is kept. The served file is published read-only, so a client cannot open it read-write
by mistake; a WAL such a client left beside it is moved aside with a warning
(:func:`move_stale_wal`) by the next build, and ``make doctor`` (retail_warehouse.doctor)
says what is wrong with a served file and how to fix it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import stat
import time
from pathlib import Path

BUILD_FOLDER = ".build"
TEMP_PREFIX = ".publish-"
TEMP_SUFFIX = ".tmp"
# Tests only: seconds to wait between writing the temporary copy and the rename, so a test
# can kill the build at that moment and prove the served file is untouched.
PAUSE_ENV = "RETAIL_WAREHOUSE_PUBLISH_PAUSE_SECONDS"
LOCK_SUFFIX = ".lock"
STALE_WAL_INFIX = ".stale-"
READ_ONLY_MODE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
# Held build locks of this process, by lock file: dbt-duckdb may open the build copy more
# than once in one build; the lock is taken once and held until the process ends.
_held_locks: dict[str, int] = {}


# Whether this process has said what happened to the served file (published, or left
# unchanged and why): a build that dies before the on-run-end hook still says it at exit.
_outcome_said = False


def note_outcome_said() -> None:
    global _outcome_said
    _outcome_said = True


def outcome_said() -> bool:
    return _outcome_said


class PublishFault(RuntimeError):
    """A fault of the machine (a lock held, a folder not writable, a full disk): one line
    naming the path and the cause; the served file is left as it was."""


def describe_os_error(error: OSError, path: Path | str | None = None) -> str:
    """`<path>: <cause>` from an OSError, e.g. `/data/w.duckdb: No space left on device`."""
    cause = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        cause = "no space left on device (the disk is full)"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        cause = f"cannot be written ({error.strerror})"
    # A rename names its target second: the served file, not the temporary copy.
    where = error.filename2 or error.filename or path
    return f"{where}: {cause}" if where is not None else cause


def lock_path_for(build_path: Path | str) -> Path:
    return Path(f"{build_path}{LOCK_SUFFIX}")


def acquire_build_lock(build_path: Path | str) -> Path:
    """Take the build's lock (an exclusive ``flock`` on a file beside the build copy) or stop
    with who holds it. Held until this process ends, which releases it even on ``kill -9``."""
    lock = lock_path_for(build_path)
    if str(lock) in _held_locks:
        return lock
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise PublishFault(f"cannot create the build lock {describe_os_error(error, lock)}") from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise PublishFault(
            f"another build of this warehouse is running ({holder}; lock {lock}): this build stops; "
            "wait for it to finish, then build again"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}".encode(), 0)
    _held_locks[str(lock)] = fd
    return lock


def build_lock_holder(build_path: Path | str) -> str | None:
    """Who holds the build lock (its text), or None when no build is running."""
    lock = lock_path_for(build_path)
    if not lock.is_file():
        return None
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
    finally:
        os.close(fd)
    return None


def held_read_write(path: Path | str) -> bool:
    """Whether a live process holds the DuckDB file open read-write (DuckDB holds a POSIX
    write lock on it then; read-only clients hold read locks, which do not conflict)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        # Closing drops this process's locks on the file.
        os.close(fd)
    return False


def move_stale_wal(served_path: Path | str) -> Path | None:
    """A WAL beside the served file was left by a client that opened it read-write and was
    killed: no reader can open the file while it is there, and it belongs to no build. It is
    moved aside (kept, in case it holds someone's writes); returns where, or None. A WAL of a
    client still holding the file read-write is not stale: the publish replaces the file
    under it, and that client's writes go to the old file."""
    wal = Path(f"{served_path}.wal")
    if not wal.exists() or held_read_write(served_path):
        return None
    if wal.stat().st_size == 0:
        wal.unlink(missing_ok=True)
        return None
    aside = wal.with_name(f"{wal.name}{STALE_WAL_INFIX}{time.strftime('%Y%m%dT%H%M%S')}")
    os.replace(wal, aside)
    return aside


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
    """Atomically replace the served file with a copy of the (checkpointed) build file,
    written read-only. A fault of the machine raises :class:`PublishFault`."""
    build, served = Path(build_path), Path(served_path)
    if build.resolve() == served.resolve():
        raise ValueError(f"build file and served file are the same file: {build}")
    if not build.is_file():
        raise FileNotFoundError(f"build file {build} not found")
    wal = Path(f"{build}.wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise RuntimeError(f"build file {build} has a non-empty WAL: run CHECKPOINT before publishing")
    temp = served.with_name(f"{TEMP_PREFIX}{served.name}.{os.getpid()}{TEMP_SUFFIX}")
    try:
        served.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(served)
        copy_durably(build, temp)
        os.chmod(temp, READ_ONLY_MODE)
        pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        if pause > 0:
            time.sleep(pause)
        # A WAL left beside the served file would be replayed into the new file by the next
        # reader: it belongs to the old file, so it is moved aside.
        stale_wal = move_stale_wal(served)
        os.replace(temp, served)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise PublishFault(f"cannot publish: {describe_os_error(error, served)}") from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(served.parent)
    note_outcome_said()
    moved = f"; a stale WAL beside it was moved aside to {stale_wal}" if stale_wal else ""
    return f"published {build} to {served} ({served.stat().st_size} bytes, read-only){moved}"


def copy_durably(source: Path, target: Path) -> None:
    """Copy source to target and fsync it. shutil.copyfile copies in the kernel (sendfile on
    Linux): the bytes do not pass through this process, as they did through a read/write loop."""
    shutil.copyfile(source, target)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
