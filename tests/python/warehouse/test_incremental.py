"""The incremental marts (fct_order_lines, fct_orders, sales_daily) equal a full rebuild:
after a day appended to the inputs, and when the inputs are replaced by other files."""

from __future__ import annotations

import shutil

from helpers import content_hashes, require_success, run_dbt_build

from retail_warehouse.bench.append import append_day

INCREMENTAL_MARTS = ("marts.fct_order_lines", "marts.fct_orders", "marts.sales_daily")
SQL_ONLY = ("--vars", "{ml_enabled: false}")


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
