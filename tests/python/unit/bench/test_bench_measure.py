"""The benchmark harness without a build: a step's measured time and memory are its own,
guards stop a step that runs out of memory or time, sizes read as `make bench` takes them, and
the performance targets are judged from the measurements. No timing is asserted beyond the
harness's own guards."""

from __future__ import annotations

import sys

from retail_warehouse.bench.measure import Measurement, run_measured
from retail_warehouse.bench.run import Bench, parse_size, size_label, target_lines


def test_a_measurement_is_the_step_own_time_and_memory(tmp_path):
    grows = (
        "import time; block = bytearray(300 * 1024 * 1024); block[::4096] = b'x' * len(block[::4096]); time.sleep(0.3)"
    )
    measured = run_measured("grow", [sys.executable, "-c", grows], tmp_path / "grow.log")
    assert measured.ok and measured.wall_seconds >= 0.3
    assert 300 <= measured.peak_rss_mb < 400
    # The step does not inherit the measuring process's memory: this one holds 500 MB.
    held = bytearray(500 * 1024 * 1024)
    held[::4096] = b"x" * len(held[::4096])
    failed = run_measured("fail", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "fail.log")
    assert failed.returncode == 3 and not failed.ok
    assert failed.peak_rss_mb < 100


def test_sizes_read_and_print_as_make_bench_takes_them():
    assert [parse_size(text) for text in ("100k", "1M", "10M", "100M", "2500")] == [
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        2_500,
    ]
    assert [size_label(lines) for lines in (100_000, 1_000_000, 10_000_000, 2_500)] == ["100k", "1M", "10M", "2500"]


def test_a_capped_step_fails_with_memory_error_instead_of_exhausting_the_machine(tmp_path):
    grows = "block = bytearray(600 * 1024 * 1024)"
    capped = run_measured("capped", [sys.executable, "-c", grows], tmp_path / "capped.log", memory_cap_mb=300)
    assert not capped.ok
    assert "MemoryError" in (tmp_path / "capped.log").read_text()
    assert run_measured("uncapped", [sys.executable, "-c", grows], tmp_path / "uncapped.log").ok


def test_a_step_over_its_time_limit_is_stopped_and_reported_unfinished(tmp_path):
    # The step's child process is stopped with it (the whole process group).
    sleeps = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(60)'])"
    stopped = run_measured("slow", [sys.executable, "-c", sleeps], tmp_path / "slow.log", timeout_seconds=1)
    assert not stopped.ok and stopped.wall_seconds < 30
    assert "stopped after 1 s" in stopped.note


def test_a_step_killed_by_a_signal_says_so(tmp_path):
    kills_itself = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    killed = run_measured("killed", [sys.executable, "-c", kills_itself], tmp_path / "killed.log")
    assert killed.returncode == -15 and "killed by signal 15" in killed.note


def test_targets_are_judged_from_the_measurements_at_their_size():
    def step(name, lines, wall, cpu=None, peak=1000.0, returncode=0, note=""):
        return Measurement(name, lines, wall, wall if cpu is None else cpu, peak, returncode, "log", note)

    ten_m, one_m = 10_000_000, 1_000_000
    rows = target_lines(
        [
            step("floor", ten_m, 100),
            step("dbt_startup", ten_m, 10),
            step("dbt_core", ten_m, 135),
            step("pandas", ten_m, 700),
            step("dbt_ml", ten_m, 601, peak=5000),
            step("dbt_sql", ten_m, 400),
            step("dbt_incremental", ten_m, 40),
            step("dbt_ml_scored", ten_m, 150, peak=3000),
            step("dbt_no_new_input", ten_m, 21),
            step("floor", one_m, 10),
            step("dbt_startup", one_m, 10),
            step("dbt_core", one_m, 30),
            step("pandas", one_m, 5, returncode=1, note="ran out of its cap"),
            step("floor", 100_000, 2),
            step("dbt_startup", 100_000, 10),
            step("dbt_core", 100_000, 11, returncode=1),
        ]
    )
    verdicts = {
        tuple(cell.strip() for cell in row.split("|")[1:3]): row.split("|")[-2].strip()
        for row in rows
        if row.startswith("| ") and "---" not in row and "verdict" not in row
    }
    assert verdicts[("SQL layers <= 1.3x the floor after dbt's start-up", "10M")] == "met"  # 1.25
    assert verdicts[("SQL layers <= 1.3x the floor after dbt's start-up", "1M")] == "missed"  # 2.0
    failed = [row for row in rows if "| 100k |" in row and "start-up" in row]
    assert failed and "dbt_core failed (exit 1)" in failed[0]  # no ratio from a failed build
    assert verdicts[(">= 5x faster than pandas", "10M")] == "met"  # 700 / 135
    assert verdicts[(">= 5x faster than pandas", "1M")].startswith("(no ratio")
    assert verdicts[("full build with ML <= 10 min, peak RSS <= 6 GB", "10M")] == "missed"  # 601 s
    assert verdicts[("appending a day <= 10% of a full build", "10M")] == "met"  # 40 / 400
    assert verdicts[("whole SQL build <= 3.0x the floor", "10M")] == "missed"  # 400 / 100
    assert verdicts[("scoring-only build with ML (nothing due), beside it", "10M")] == "reported (no target of its own)"
    assert verdicts[("a build with no new input <= 5% of a full build", "10M")] == "missed"  # 21 / 400
    assert verdicts[("SQL layers complete out of core under 16 GB", "10M")].startswith("(met at this size")


def test_the_sql_build_copy_is_dropped_once_no_later_step_reads_it(tmp_path, monkeypatch):
    bench = Bench(tmp_path, None, [], pandas_memory_cap_mb=1024, step_timeout_seconds=None)
    lines = 1000
    monkeypatch.setattr(bench, "data_for", lambda lines: tmp_path / "data")
    seen = {}

    def step(name):
        def run(lines, data):
            if name == "dbt_sql":
                (bench.sql_build(lines) / ".build").mkdir(parents=True)
                bench.live_data(lines).mkdir()
            seen[name] = bench.sql_build(lines).exists()

        return run

    for name in ("dbt_sql", "dbt_incremental", "dbt_ml"):
        monkeypatch.setattr(bench, name, step(name))
    bench.run_size(lines, ("dbt_sql", "dbt_incremental", "dbt_ml"))
    assert seen == {"dbt_sql": True, "dbt_incremental": True, "dbt_ml": False}
    assert not bench.live_data(lines).exists()
