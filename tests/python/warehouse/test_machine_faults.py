"""Faults of the machine through a real `dbt build`: one line naming the path and the cause,
the "left unchanged" line, no Python traceback, the served file as it was and the build copy
kept; the served file published read-only and a stale WAL beside it moved aside by the next
build. The builds leave the ML models out (with_ml=False)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
from helpers import REPO_ROOT, copy_build, dbt_build_command, run_dbt_build


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inputs(synthetic_files: Path) -> dict:
    return {
        "online_retail_path": synthetic_files / "online_retail" / "online_retail.csv",
        "olist_dir": synthetic_files / "olist",
    }


def assert_one_clean_failure(output: str, cause: str) -> None:
    assert cause in output, output[-3000:]
    assert output.count("left unchanged") == 1, output[-3000:]
    assert "Traceback" not in output and "keyboard interrupt" not in output, output[-3000:]


def test_a_second_build_stops_at_once_with_one_line(tmp_path, synthetic_files):
    workdir = tmp_path / "concurrent"
    lock = workdir / ".build" / "warehouse.duckdb.lock"
    lock.parent.mkdir(parents=True)
    with lock.open("w") as held:
        # What a running build holds (retail_warehouse.publish.acquire_build_lock).
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242, started by the test")
        held.flush()
        build = run_dbt_build(workdir, **inputs(synthetic_files), with_ml=False)
    assert build.returncode != 0 and not build.published
    assert_one_clean_failure(build.output, "another build of this warehouse is running (pid 4242, started by the test")
    assert not (workdir / "warehouse.duckdb").exists()


def test_a_publish_that_cannot_write_the_served_file_keeps_the_build_copy(tmp_path, synthetic_files):
    """The served path is a folder: the build passes and the publish cannot replace it, as
    when the served folder cannot be written or the disk is full at that moment."""
    workdir = tmp_path / "unwritable"
    (workdir / "warehouse.duckdb" / "someone's").mkdir(parents=True)
    build = run_dbt_build(workdir, **inputs(synthetic_files), with_ml=False)
    assert build.returncode != 0 and not build.published
    assert_one_clean_failure(build.output, f"cannot publish: {workdir / 'warehouse.duckdb'}: Is a directory")
    assert f"the build copy {build.build_file} is kept" in build.output
    assert (workdir / "warehouse.duckdb" / "someone's").is_dir()
    with duckdb.connect(str(build.build_file), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_orders").fetchone()[0] > 0


def test_the_next_build_moves_a_stale_wal_aside_and_publishes_read_only(tmp_path, synthetic_files, synthetic_sql_build):
    """The first build is the session's synthetic_sql_build (the same inputs, ML left out),
    copied here with its file modes."""
    workdir = tmp_path / "stale_wal"
    first = copy_build(synthetic_sql_build, workdir)
    assert first.returncode == 0 and first.published, first.output[-3000:]
    served = first.warehouse
    assert not stat.S_IMODE(served.stat().st_mode) & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    # A client opens the served file read-write (the owner may, despite the mode), writes,
    # and is killed before it checkpoints: its WAL stays beside the file.
    os.chmod(served, 0o644)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
            "con.execute('pragma disable_checkpoint_on_shutdown'); "
            "con.execute('create table main.scratch as select 1 as x'); os._exit(0)",
            str(served),
        ],
        check=True,
    )
    assert Path(f"{served}.wal").stat().st_size > 0
    doctor = subprocess.run(
        [sys.executable, "-m", "retail_warehouse.doctor", "--served", str(served)], capture_output=True, text=True
    )
    assert doctor.returncode == 1 and "problem: stale WAL" in doctor.stdout and "is writable" in doctor.stdout

    second = run_dbt_build(workdir, **inputs(synthetic_files), with_ml=False)
    assert second.returncode == 0 and second.published, second.output[-3000:]
    assert "a stale WAL beside the served file" in second.output
    assert not Path(f"{served}.wal").exists()
    assert len(list(workdir.glob("warehouse.duckdb.wal.stale-*"))) == 1
    doctor = subprocess.run(
        [sys.executable, "-m", "retail_warehouse.doctor", "--served", str(served)], capture_output=True, text=True
    )
    assert doctor.returncode == 0, doctor.stdout


def test_a_served_folder_that_cannot_be_written_stops_the_build_at_once(tmp_path, synthetic_files):
    """The served file's folder is a file: nothing can be created there (as when the folder is
    read-only, which a test running as root cannot simulate)."""
    not_a_folder = tmp_path / "not_a_folder"
    not_a_folder.write_text("a file")
    args, env, _ = dbt_build_command(tmp_path / "run", **inputs(synthetic_files), with_ml=False)
    env["RETAIL_WAREHOUSE"] = str(not_a_folder / "warehouse.duckdb")
    completed = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode != 0
    assert_one_clean_failure(
        completed.stdout + completed.stderr, f"cannot create the build lock {not_a_folder / '.build'}: Not a directory"
    )
    assert not_a_folder.read_text() == "a file"
