"""Build-over-build monitoring: meta.build_history keeps every published build's measures,
and the next build warns (log, marts.data_quality_issues) when rows move more than
var build_change_max_share, a quarantine rule catches rows for the first time, a mart's
columns change or a store's data end stays put for var build_stale_after_days. The builds
leave the ML models out (with_ml=False)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from helpers import copy_build, run_dbt_build


def test_a_second_build_is_compared_with_the_first_and_both_are_kept(tmp_path, synthetic_files, synthetic_sql_build):
    """The first build is the session's synthetic_sql_build (the synthetic files, ML left out),
    copied here; the second runs over the copy."""
    olist = synthetic_files / "olist"
    first = copy_build(synthetic_sql_build, tmp_path)
    assert first.returncode == 0 and first.published, first.output[-3000:]
    assert "warning: build change" not in first.output
    assert first.scalar("select count(distinct invocation_id) from meta.build_history") == 1
    first_lines = first.scalar(
        "select row_count from meta.build_history where measure_kind = 'input_file' "
        "and item = 'online_retail__invoice_lines'"
    )

    # A new export: a third of the lines and one with a price that is not a number.
    lines = (synthetic_files / "online_retail" / "online_retail.csv").read_text().splitlines()
    kept = lines[: len(lines) // 3]
    fields = kept[1].split(",")
    fields[5] = "twelve"
    export = tmp_path / "exports" / "online_retail.csv"
    export.parent.mkdir()
    export.write_text("\n".join([*kept, ",".join(fields)]) + "\n")
    # The previous record as if fct_orders had other columns and it was published 40 days ago.
    with duckdb.connect(str(first.build_file)) as con:
        con.execute(
            "update meta.build_history set schema_hash = 'an older layout' "
            "where measure_kind = 'table' and item = 'fct_orders'"
        )
        con.execute("update meta.build_history set published_at = published_at - interval 40 days")

    second = run_dbt_build(tmp_path, online_retail_path=export, olist_dir=olist, with_ml=False)
    assert second.returncode == 0 and second.published, second.output[-3000:]
    assert second.scalar("select count(distinct invocation_id) from meta.build_history") == 2
    assert second.scalar(
        "select row_count from meta.build_history where measure_kind = 'input_file' "
        "and item = 'online_retail__invoice_lines' order by published_at desc limit 1"
    ) == len(kept)
    findings = {
        (store, item, check.split(" ")[0] + " " + check.split(" ")[1])
        for store, item, check in second.query(
            "select store, item, check_name from intermediate.int_build_changes_checked"
        )
    }
    assert ("online_retail", "online_retail__invoice_lines", "rows moved") in findings
    assert ("online_retail", "fct_order_lines", "rows moved") in findings
    assert ("online_retail", "online_retail__invoice_lines: unit_price is not a number", "quarantine rule") in findings
    assert ("online_retail", "fct_orders", "columns or") in findings and (
        "olist",
        "fct_orders",
        "columns or",
    ) in findings
    # Olist's files did not change: its rows did not move, its data end stayed put 40 days on.
    assert ("olist", "store_data_ends", "data end") in findings
    assert not any(store == "olist" and check == "rows moved" for store, _, check in findings)
    assert (
        "warning: build change: online_retail__invoice_lines (online_retail): rows moved more than 20%" in second.output
    )
    assert f"({first_lines} -> {len(kept)})" in second.output
    issues = second.scalar("select count(*) from marts.data_quality_issues where issue_kind = 'build_change'")
    assert issues == len(findings)
    assert Path(second.warehouse).is_file()
