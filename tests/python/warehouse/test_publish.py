"""Atomic publish: dbt builds a copy and a complete, passing `dbt build` replaces the served
file with an atomic rename. Readers are never blocked and never see a half-built warehouse; a
killed or failing build leaves the served file byte-identical. The builds here leave the ML
models out (with_ml=False): what is published does not change how it is published."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO_ROOT, dbt_build_command, run_dbt_build
from warehouse_reader import read_once

KILL_SEED = 20_260_523
KILL_MOMENTS = 3
READERS = 3
PAUSE_ENV = "RETAIL_WAREHOUSE_PUBLISH_PAUSE_SECONDS"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temp_files(served: Path) -> list[Path]:
    return sorted(served.parent.glob(f".publish-{served.name}.*.tmp"))


@pytest.fixture(scope="module")
def served_v1(tmp_path_factory, synthetic_build) -> Path:
    """A workdir whose served file is the published synthetic build (version 1)."""
    workdir = tmp_path_factory.mktemp("publish")
    shutil.copy(synthetic_build.warehouse, workdir / "warehouse.duckdb")
    return workdir


def version_2_inputs(synthetic_files: Path) -> dict:
    """Other inputs than version 1 (Online Retail II), so the published content changes."""
    return {
        "online_retail_path": synthetic_files / "online_retail" / "online_retail_II.csv",
        "olist_dir": synthetic_files / "olist",
    }


def test_plain_dbt_build_publishes_and_a_partial_build_does_not(synthetic_build, tmp_path, synthetic_files):
    assert synthetic_build.published, synthetic_build.output[-3000:]
    assert synthetic_build.build_file.is_file()
    served_version = synthetic_build.scalar("select invocation_id from meta.warehouse_version")
    workdir = tmp_path / "partial"
    workdir.mkdir()
    shutil.copy(synthetic_build.warehouse, workdir / "warehouse.duckdb")
    before = sha256(workdir / "warehouse.duckdb")
    partial = run_dbt_build(
        workdir,
        online_retail_path=synthetic_files / "online_retail" / "online_retail.csv",
        extra_args=("--select", "stg_landing__file_loads"),
    )
    assert partial.returncode == 0, partial.output[-3000:]
    assert "partial build" in partial.output and "left unchanged" in partial.output
    assert not partial.published
    assert sha256(workdir / "warehouse.duckdb") == before
    # The build copy started from the served file, so the selected model could build on it.
    assert (workdir / ".build" / "warehouse.duckdb").is_file()
    assert read_once(workdir / "warehouse.duckdb")["version"] == served_version


# A completed model, seed or test; the project hooks ("1 of 1 OK hook: ...") count apart.
COMPLETED_NODE = re.compile(r"\d+ of (\d+) (?:OK|PASS|ERROR|FAIL|SKIP)(?! hook)")


def completed_nodes(log_path: Path) -> tuple[int, int | None]:
    """Nodes completed so far in a dbt log, and the build's node count once dbt has said it."""
    found = COMPLETED_NODE.findall(log_path.read_text())
    return len(found), (int(found[0]) if found else None)


@pytest.fixture(scope="module")
def kills(served_v1, synthetic_files, tmp_path_factory) -> dict:
    """`dbt build` on served_v1, killed with SIGKILL at random moments (fixed seed) and once
    during the publish itself; the served file is checked after every kill.

    The moments are measured in build progress, not seconds, so a slow or busy machine still
    kills in the same phases: one during the landing (a random 1-4 s after the start, before
    any node completed), one in the first and one in the second half of the nodes."""
    logs = tmp_path_factory.mktemp("kill_logs")
    served = served_v1 / "warehouse.duckdb"
    before_hash = sha256(served)
    before = read_once(served)
    rng = random.Random(KILL_SEED)
    moments = [
        ("seconds", round(rng.uniform(1.0, 4.0), 2)),
        ("node_share", round(rng.uniform(0.05, 0.45), 2)),
        ("node_share", round(rng.uniform(0.55, 0.95), 2)),
    ]
    figures = []
    # The publish pauses before its rename, so no kill can come after a completed publish;
    # the last kill waits for that pause: the temporary copy is written, the rename is next.
    for kind, value in [*moments, ("publishing", None)]:
        args, env, _ = dbt_build_command(
            served_v1, **version_2_inputs(synthetic_files), extra_env={PAUSE_ENV: "600"}, with_ml=False
        )
        log_path = logs / f"kill_{kind}_{value}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            started = time.monotonic()
            if kind == "seconds":
                time.sleep(value)
            else:
                while time.monotonic() - started < 900:
                    assert process.poll() is None, log_path.read_text()[-3000:]
                    done, total = completed_nodes(log_path)
                    if kind == "publishing" and temp_files(served):
                        break
                    if kind == "node_share" and total and done >= value * total:
                        break
                    time.sleep(0.05)
            alive = process.poll() is None
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        done, total = completed_nodes(log_path)
        figures.append(
            {
                "moment": kind if value is None else f"{kind}={value}",
                "killed_after_s": round(time.monotonic() - started, 2),
                "alive_at_kill": alive,
                "nodes_done": done,
                "nodes_total": total,
                "temp_file_left": bool(temp_files(served)),
                "served_unchanged": sha256(served) == before_hash,
                "served_reads_as_before": read_once(served) == before,
            }
        )
    print("kill figures:", json.dumps(figures))
    return {"figures": figures, "before": before}


def test_kill_9_at_random_moments_leaves_the_served_file_unchanged(kills):
    figures = kills["figures"]
    assert len(figures) == KILL_MOMENTS + 1
    for figure in figures:
        assert figure["alive_at_kill"], f"the build ended before the kill: {figure}"
        assert figure["served_unchanged"] and figure["served_reads_as_before"], figure
    # The kills came in different phases: mid-build ones after some nodes, the last while
    # the temporary copy of the publish was on disk.
    assert all(0 < f["nodes_done"] < f["nodes_total"] for f in figures[1:-1]), figures
    assert figures[-1]["temp_file_left"]


def start_reader(served: Path, stop_file: Path, out: Path, hold: bool) -> subprocess.Popen:
    script = Path(__file__).with_name("warehouse_reader.py")
    args = [sys.executable, str(script), str(served), "--stop-file", str(stop_file), "--out", str(out)]
    # A poll every 0.1 s per reader: frequent, while leaving the 2-core build its CPU.
    return subprocess.Popen([*args, "--interval", "0.1", *(["--hold"] if hold else [])])


def read_polls(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_readers_during_a_build_see_no_errors_and_only_complete_versions(served_v1, kills, synthetic_files, tmp_path):
    """The build runs over the build copy the `kills` fixture killed several times: it
    recovers, publishes once, and removes the temporary file the killed publish left."""
    served = served_v1 / "warehouse.duckdb"
    old = read_once(served)
    assert old == kills["before"]
    stop_file = tmp_path / "stop"
    outs = [tmp_path / f"reader_{i}.jsonl" for i in range(READERS)]
    holder_out = tmp_path / "holder.jsonl"
    readers = [start_reader(served, stop_file, out, hold=False) for out in outs]
    holder = start_reader(served, stop_file, holder_out, hold=True)
    try:
        deadline = time.monotonic() + 60
        while not all(p.exists() and p.read_text().strip() for p in [*outs, holder_out]):
            assert time.monotonic() < deadline, "readers did not start"
            time.sleep(0.1)
        started = time.monotonic()
        build = run_dbt_build(served_v1, **version_2_inputs(synthetic_files), with_ml=False)
        build_seconds = time.monotonic() - started
        published_at = time.time()
        time.sleep(1.5)  # let every reader reconnect after the publish
    finally:
        stop_file.touch()
        for process in [*readers, holder]:
            process.wait(timeout=60)
    assert build.returncode == 0 and build.published, build.output[-3000:]
    assert temp_files(served) == []
    new = read_once(served)
    assert new["version"] != old["version"]
    assert new["unbalanced"] == 0

    complete = {old["version"]: old, new["version"]: new}
    figures = {"build_seconds": round(build_seconds, 1), "readers": []}
    for out in outs:
        polls = read_polls(out)
        errors = [p for p in polls if "error" in p]
        assert errors == [], errors[:3]
        for p in polls:
            expected = complete.get(p["version"])
            assert expected is not None, f"unknown version {p}"
            assert {k: p[k] for k in expected} == expected, f"incomplete version seen: {p}"
        versions = [p["version"] for p in polls]
        # Versions only move forward: once a reader saw the new file it never sees the old one.
        first_new = versions.index(new["version"])
        assert all(v == new["version"] for v in versions[first_new:])
        assert any(p["t"] > published_at for p in polls[first_new:])
        figures["readers"].append(
            {"polls": len(polls), "errors": len(errors), "old": first_new, "new": len(polls) - first_new}
        )
    held = read_polls(holder_out)
    assert [p for p in held if "error" in p] == []
    # A reader that keeps its connection open keeps reading the version it opened.
    assert {p["version"] for p in held} == {old["version"]}
    assert all(p["counts_digest"] == old["counts_digest"] for p in held)
    figures["holder"] = {"polls": len(held), "errors": 0, "versions": 1}
    print("reader figures:", json.dumps(figures))
    assert sum(r["polls"] for r in figures["readers"]) >= 50


def test_a_failing_data_test_blocks_the_publish(synthetic_build, synthetic_files, tmp_path):
    """An error-severity data test that fails blocks the publish. Input rows cannot fail one
    any more (they are quarantined or flagged), so the failure is a broken invariant injected
    into a copy of the project: a singular test that no Olist customer has an unreadable state,
    fed a customer whose state is written out in full ('SAO PAULO' instead of SP)."""
    from helpers import Build

    project = tmp_path / "project"
    shutil.copytree(
        REPO_ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".*", "target", "logs", "warehouse", "data", "dashboards", "docs", "node_modules"
        ),
    )
    (project / "tests" / "assert_customer_state_readable.sql").write_text(
        "select customer_id from {{ ref('stg_olist__customers') }} where is_customer_state_unreadable\n"
    )
    olist = tmp_path / "olist"
    shutil.copytree(synthetic_files / "olist", olist)
    customers = olist / "olist_customers_dataset.csv"
    with customers.open(newline="") as stream:
        rows = list(csv.reader(stream))
    state = rows[0].index("customer_state")
    rows[1][state] = "SAO PAULO"
    with customers.open("w", newline="") as stream:
        csv.writer(stream, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(rows)
    workdir = tmp_path / "build"
    workdir.mkdir()
    shutil.copy(synthetic_build.warehouse, workdir / "warehouse.duckdb")
    before = sha256(workdir / "warehouse.duckdb")
    args, env, warehouse = dbt_build_command(
        workdir,
        online_retail_path=synthetic_files / "online_retail" / "online_retail.csv",
        olist_dir=olist,
        with_ml=False,
    )
    completed = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, check=False)
    build = Build(warehouse, completed.returncode, completed.stdout + completed.stderr)
    assert build.returncode != 0
    assert "assert_customer_state_readable" in build.output and "(fail)" in build.output, build.output[-3000:]
    assert "left unchanged" in build.output and not build.published
    assert sha256(warehouse) == before
    # The build copy does hold the failing data: it is there to debug, not to serve.
    assert (
        Build(build.build_file, 0, "").scalar(
            "select count(*) from staging.stg_olist__customers where is_customer_state_unreadable"
        )
        == 1
    )


def test_a_build_given_no_input_reuses_the_inputs_the_served_warehouse_was_built_from(
    synthetic_build, synthetic_files, tmp_path
):
    """The README's refresh, `dbt build` from a shell without ONLINE_RETAIL_PATH / OLIST_DIR,
    over a warehouse built from given files: the same files again, said in the log, never
    the default synthetic data set over them."""
    workdir = tmp_path / "refresh"
    workdir.mkdir()
    shutil.copy(synthetic_build.warehouse, workdir / "warehouse.duckdb")
    loads = "select source_table, file_path, is_synthetic from raw.landing__file_loads order by all"
    build = run_dbt_build(workdir, with_ml=False)
    assert build.returncode == 0 and build.published, build.output[-3000:]
    assert "no input given: reusing the inputs the served warehouse" in build.output
    assert str(synthetic_files / "online_retail" / "online_retail.csv") in build.output
    assert build.query(loads) == synthetic_build.query(loads)
