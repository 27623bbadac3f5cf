"""Faults of the machine around the publish speak one line naming the path and the cause, and
leave the served file as it was: a second build, a folder that cannot be written, a full
disk, an unreadable input file; a stale WAL beside the served file is moved aside, and
`make doctor` says what is wrong with a served file."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from retail_warehouse import doctor, publish
from retail_warehouse.landing.errors import InputFileError
from retail_warehouse.landing.readers import check_readable_file


def warehouse_file(path: Path, value: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema meta")
        con.execute(
            f"create table meta.warehouse_version as select 'build-{value}' as invocation_id, now() as published_at"
        )
    return path


@pytest.fixture
def build_and_served(tmp_path) -> tuple[Path, Path]:
    served = warehouse_file(tmp_path / "w.duckdb", 1)
    build = publish.build_path_for(served)
    build.parent.mkdir()
    warehouse_file(build, 2)
    return build, served


def start_holder(code: str) -> subprocess.Popen:
    """A process running `code`, which prints `held` once it holds what it takes."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_build_stops_with_who_holds_the_lock_and_goes_once_the_holder_is_gone(tmp_path):
    build = tmp_path / ".build" / "w.duckdb"
    holder = start_holder(
        f"""
        import time
        from retail_warehouse import publish
        publish.acquire_build_lock({str(build)!r})
        print("held", flush=True)
        time.sleep(60)
        """
    )
    try:
        with pytest.raises(publish.PublishFault) as refused:
            publish.acquire_build_lock(build)
        message = str(refused.value)
        assert "another build of this warehouse is running" in message
        assert f"pid {holder.pid}" in message and str(publish.lock_path_for(build)) in message
        assert publish.build_lock_holder(build).startswith(f"pid {holder.pid}")
    finally:
        # Killed as a build can be: the operating system releases the lock.
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert publish.build_lock_holder(build) is None
    try:
        assert publish.acquire_build_lock(build) == publish.lock_path_for(build)
        assert publish.acquire_build_lock(build) == publish.lock_path_for(build)  # taken once per process
    finally:
        os.close(publish._held_locks.pop(str(publish.lock_path_for(build))))


@pytest.mark.parametrize(
    ("patched", "error", "said"),
    [
        ("copyfile", OSError(errno.ENOSPC, "No space left on device"), "no space left on device (the disk is full)"),
        ("replace", PermissionError(errno.EACCES, "Permission denied", "tmp", None, "served"), "cannot be written"),
    ],
)
def test_a_publish_that_cannot_write_leaves_the_served_file_and_the_build_copy(
    build_and_served, monkeypatch, patched, error, said
):
    build, served = build_and_served
    served_bytes, build_bytes = served.read_bytes(), build.read_bytes()

    def fail(*args, **kwargs):
        raise error

    target = publish.shutil if patched == "copyfile" else publish.os
    monkeypatch.setattr(target, patched, fail)
    with pytest.raises(publish.PublishFault) as fault:
        publish.publish(build, served)
    assert said in str(fault.value) and str(fault.value).startswith("cannot publish: ")
    assert served.read_bytes() == served_bytes and build.read_bytes() == build_bytes
    assert not list(served.parent.glob(f"{publish.TEMP_PREFIX}*"))


def test_the_served_file_is_published_read_only_and_a_stale_wal_is_moved_aside(build_and_served):
    build, served = build_and_served
    wal = Path(f"{served}.wal")
    wal.write_bytes(b"writes of a killed read-write client")
    message = publish.publish(build, served)
    assert "read-only" in message and "stale WAL" in message
    assert not stat.S_IMODE(served.stat().st_mode) & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert not wal.exists()
    (aside,) = served.parent.glob(f"{wal.name}{publish.STALE_WAL_INFIX}*")
    assert aside.read_bytes() == b"writes of a killed read-write client"
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.execute("select invocation_id from meta.warehouse_version").fetchone() == ("build-2",)


def test_the_wal_of_a_live_read_write_client_is_not_taken_for_stale(tmp_path):
    served = warehouse_file(tmp_path / "w.duckdb", 1)
    holder = start_holder(
        f"""
        import time, duckdb
        con = duckdb.connect({str(served)!r})
        con.execute("pragma disable_checkpoint_on_shutdown")
        con.execute("create table main.scratch as select 1 as x")
        print("held", flush=True)
        time.sleep(60)
        """
    )
    try:
        assert publish.held_read_write(served)
        assert Path(f"{served}.wal").exists()
        assert publish.move_stale_wal(served) is None
        assert Path(f"{served}.wal").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert not publish.held_read_write(served)
    assert publish.move_stale_wal(served) is not None


def test_doctor_says_what_is_wrong_and_fixes_what_is_safe(tmp_path, capsys):
    served = warehouse_file(tmp_path / "w.duckdb", 1)
    Path(f"{served}.wal").write_bytes(b"stale")
    assert doctor.main(["--served", str(served)]) == 1
    said = capsys.readouterr().out
    assert "problem: stale WAL" in said and "problem: " in said and "is writable" in said
    assert doctor.main(["--served", str(served), "--fix"]) == 0
    assert "moved aside" in capsys.readouterr().out
    assert doctor.main(["--served", str(served)]) == 0
    said = capsys.readouterr().out
    assert "ok: " in said and "build-1" in said and "problem" not in said
    assert doctor.main(["--served", str(tmp_path / "none.duckdb")]) == 1
    assert "no served warehouse" in capsys.readouterr().out
    (tmp_path / "folder.duckdb").mkdir()
    assert doctor.main(["--served", str(tmp_path / "folder.duckdb")]) == 1
    assert "is not a file" in capsys.readouterr().out


def test_doctor_names_a_file_that_does_not_open(tmp_path):
    served = tmp_path / "w.duckdb"
    served.write_bytes(b"not a duckdb file" * 100)
    findings = doctor.examine(served)
    assert any(f.level == "problem" and "does not open read-only" in f.text for f in findings)


def test_an_input_file_that_cannot_be_read_is_named_with_its_cause(tmp_path, monkeypatch):
    path = tmp_path / "online_retail.csv"
    path.write_text("InvoiceNo\n1\n")
    original_open = Path.open

    def refuse(self, *args, **kwargs):
        if self == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return original_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InputFileError) as refused:
        check_readable_file(path)
    assert str(refused.value) == f"input file {path}: cannot be read (Permission denied)"
