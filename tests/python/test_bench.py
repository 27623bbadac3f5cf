"""The benchmark's references compute what the warehouse computes, and the incremental marts
equal a full rebuild. No timing here: `make bench` measures, tests only check results."""

from __future__ import annotations

import shutil
import sys

import pytest
from helpers import content_hashes, require_success, run_dbt_build

from retail_warehouse.bench.append import append_day
from retail_warehouse.bench.floor import run_floor
from retail_warehouse.bench.measure import Measurement, run_measured
from retail_warehouse.bench.pandas_path import build_marts
from retail_warehouse.bench.run import parse_size, size_label, target_lines

INCREMENTAL_MARTS = ("marts.fct_order_lines", "marts.fct_orders", "marts.sales_daily")
SQL_ONLY = ("--vars", "{ml_enabled: false}")
# The floor's marts and the rows of the dbt mart it covers.
FLOOR_MARTS = {
    "fct_order_lines": "true",
    "fct_orders": "true",
    "customer_rfm": "true",
    "sales_daily": "dimension in ('overall', 'country', 'state')",
}


@pytest.fixture(scope="module")
def floor(synthetic_files, tmp_path_factory):
    database = tmp_path_factory.mktemp("floor") / "floor.duckdb"
    con = run_floor(synthetic_files / "online_retail" / "online_retail.csv", synthetic_files / "olist", database)
    yield con
    con.close()


@pytest.mark.parametrize("mart", sorted(FLOOR_MARTS))
def test_floor_script_computes_the_dbt_marts(floor, synthetic_build, mart):
    """Every column the floor computes, row for row (as multisets), equals the dbt mart's."""
    columns = [row[0] for row in floor.execute(f"describe {mart}").fetchall()]
    column_list = ", ".join(columns)
    floor.execute(f"attach if not exists '{synthetic_build.warehouse}' as dbt (read_only)")
    dbt_rows = f"select {column_list} from dbt.marts.{mart} where {FLOOR_MARTS[mart]}"
    floor_rows = f"select {column_list} from main.{mart}"
    only_dbt = floor.execute(f"select count(*) from ({dbt_rows} except all {floor_rows})").fetchone()[0]
    only_floor = floor.execute(f"select count(*) from ({floor_rows} except all {dbt_rows})").fetchone()[0]
    total = floor.execute(f"select count(*) from ({floor_rows})").fetchone()[0]
    assert total > 100
    assert (only_dbt, only_floor) == (0, 0), f"{mart}: rows only in dbt {only_dbt}, only in the floor {only_floor}"


def test_pandas_path_computes_the_floor_marts(floor, synthetic_files):
    """The notebook path counts the same rows and the same money (in ten-thousandths) per day."""
    marts = build_marts(synthetic_files / "online_retail" / "online_retail.csv", synthetic_files / "olist")
    for name, frame in marts.items():
        assert len(frame) == floor.execute(f"select count(*) from {name}").fetchone()[0], name

    daily = marts["sales_daily"]
    floor.register("pandas_sales_daily", daily)
    keys = "store, cast(order_date as date), dimension, dimension_value"
    measures = (
        "order_count, cancelled_order_count, line_count, units_sold, customer_count, new_customer_count, "
        "returning_customer_count, valued_order_count"
    )
    money = "gross_sales_amount, cancellation_amount, net_revenue_amount"
    pandas_money = ", ".join(f"cast({column} as bigint)" for column in money.split(", "))
    floor_money = ", ".join(f"cast({column} * 10000 as bigint)" for column in money.split(", "))
    differing = floor.execute(
        f"""
        select count(*) from (
            select {keys}, {measures}, {pandas_money} from pandas_sales_daily
            except all
            select {keys}, {measures}, {floor_money} from sales_daily
        )
        """
    ).fetchone()[0]
    assert differing == 0

    rfm = marts["customer_rfm"]
    floor.register("pandas_rfm", rfm)
    differing = floor.execute(
        """
        select count(*) from (
            select customer_key, recency_days, frequency, cast(monetary as bigint), r_score, f_score, m_score, rfm_segment
            from pandas_rfm
            except all
            select customer_key, recency_days, frequency, cast(monetary * 10000 as bigint), r_score, f_score, m_score,
                rfm_segment
            from customer_rfm
        )
        """
    ).fetchone()[0]
    assert differing == 0


def test_incremental_build_after_a_new_day_equals_a_full_rebuild(synthetic_build, synthetic_files, tmp_path):
    """The fixture's build, then the same files with one more day and late rows appended: an
    incremental `dbt build` over the kept build copy gives the same marts, table for table,
    as a `dbt build --full-refresh` of the appended files from nothing."""
    appended_files = tmp_path / "appended"
    added = append_day(synthetic_files, appended_files)
    assert added["online_retail"] > 0 and added["olist"] > 0
    inputs = {
        "online_retail_path": appended_files / "online_retail" / "online_retail.csv",
        "olist_dir": appended_files / "olist",
    }

    incremental_dir = tmp_path / "incremental"
    (incremental_dir / ".build").mkdir(parents=True)
    shutil.copy(synthetic_build.build_file, incremental_dir / ".build" / "warehouse.duckdb")
    incremental = require_success(run_dbt_build(incremental_dir, **inputs, extra_args=SQL_ONLY))
    full = require_success(run_dbt_build(tmp_path / "full", **inputs, extra_args=("--full-refresh", *SQL_ONLY)))

    # The incremental build did delete + insert into the marts it kept, not a rebuild.
    assert "is rebuilt whole" not in incremental.output
    for mart in INCREMENTAL_MARTS:
        compiled = incremental_dir / "target" / "run" / "retail_warehouse" / "models" / "marts"
        run_sql = next(compiled.rglob(f"{mart.split('.')[1]}.sql")).read_text()
        assert "delete from" in run_sql, mart
    # New rows arrived: the next day is there.
    before = synthetic_build.scalar("select max(order_date) from marts.sales_daily where store = 'online_retail'")
    after = incremental.scalar("select max(order_date) from marts.sales_daily where store = 'online_retail'")
    assert (after - before).days == 1

    incremental_hashes = {
        name: value for name, value in content_hashes(incremental.warehouse).items() if name.startswith("marts.")
    }
    full_hashes = {name: value for name, value in content_hashes(full.warehouse).items() if name.startswith("marts.")}
    assert set(INCREMENTAL_MARTS) <= full_hashes.keys()
    assert incremental_hashes.keys() == full_hashes.keys()
    differing = sorted(name for name in full_hashes if incremental_hashes[name] != full_hashes[name])
    assert differing == [], f"marts that differ between the incremental build and the full rebuild: {differing}"
    # And the appended rows changed the marts (the comparison is not between two old builds).
    original = content_hashes(synthetic_build.warehouse)
    assert all(original[name] != full_hashes[name] for name in INCREMENTAL_MARTS)


def test_replaced_inputs_rebuild_the_incremental_marts_whole(synthetic_build, synthetic_files, tmp_path):
    """Other files than last time (Online Retail II instead of I), not an append: the kept rows
    before the lookback window no longer match the inputs, so each incremental mart is emptied
    and built whole; the build's relationship tests (fct -> dim) pass only if no old row is left."""
    workdir = tmp_path / "replaced"
    (workdir / ".build").mkdir(parents=True)
    shutil.copy(synthetic_build.build_file, workdir / ".build" / "warehouse.duckdb")
    build = require_success(
        run_dbt_build(
            workdir,
            online_retail_path=synthetic_files / "online_retail" / "online_retail_II.csv",
            olist_dir=synthetic_files / "olist",
            extra_args=SQL_ONLY,
        )
    )
    for mart in INCREMENTAL_MARTS:
        assert f'{mart.split(".")[1]}" is rebuilt whole' in build.output, mart
    assert build.published
    # Both stores are in the rebuilt mart.
    assert build.scalar("select count(distinct store) from marts.fct_order_lines") == 2


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
            step("dbt_incremental", ten_m, 60),
            step("floor", one_m, 10),
            step("dbt_startup", one_m, 10),
            step("dbt_core", one_m, 30),
            step("pandas", one_m, 5, returncode=1, note="ran out of its cap"),
        ]
    )
    verdicts = {
        tuple(cell.strip() for cell in row.split("|")[1:3]): row.split("|")[-2].strip()
        for row in rows
        if row.startswith("| ") and "---" not in row and "verdict" not in row
    }
    assert verdicts[("SQL layers <= 1.3x the floor after dbt's start-up", "10M")] == "met"  # 1.25
    assert verdicts[("SQL layers <= 1.3x the floor after dbt's start-up", "1M")] == "missed"  # 2.0
    assert verdicts[(">= 5x faster than pandas", "10M")] == "met"  # 700 / 135
    assert verdicts[(">= 5x faster than pandas", "1M")].startswith("(no ratio")
    assert verdicts[("full build with ML <= 10 min, peak RSS <= 6 GB", "10M")] == "missed"  # 601 s
    assert verdicts[("appending a day <= 15% of a full build", "10M")] == "met"  # 60 / 400
    assert verdicts[("SQL layers complete out of core under 16 GB", "10M")].startswith("(met at this size")
