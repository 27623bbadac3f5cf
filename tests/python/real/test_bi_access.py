"""BI and analyst access: the analyses/ questions compile and run on the published file, opened
read-only by a DuckDB 1.4 client, as BI drivers (DBeaver, Metabase, Superset) and Evidence open it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import DBT, REPO_ROOT, dbt_build_command

ANALYSES = sorted(path.stem for path in (REPO_ROOT / "analyses").glob("*.sql"))

# Runs in the DuckDB 1.4 venv: opens the file read-only, runs every compiled analysis, tries a
# write, and reports as JSON.
CLIENT_SCRIPT = r"""
import json, sys, duckdb
warehouse, compiled_dir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
con = duckdb.connect(warehouse, read_only=True)
report = {"version": duckdb.__version__, "analyses": {}}
for name in names:
    relation = con.sql(open(f"{compiled_dir}/{name}.sql").read())
    rows = relation.fetchall()
    report["analyses"][name] = {"columns": relation.columns, "rows": len(rows), "first": [str(v) for v in rows[0]] if rows else None}
try:
    con.execute("create table marts.written_by_a_bi_tool as select 1 as x")
    report["write"] = "accepted"
except duckdb.Error as error:
    report["write"] = type(error).__name__ + ": " + str(error)
print(json.dumps(report))
"""


def compile_analyses(build) -> Path:
    """`dbt compile` of the analyses against the build's own profile (its catalog name)."""
    workdir = build.warehouse.parent
    _, env, _ = dbt_build_command(workdir)
    completed = subprocess.run(
        [str(DBT), "compile", "--select", "resource_type:analysis"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    compiled = workdir / "target" / "compiled" / "retail_warehouse" / "analyses"
    assert sorted(path.stem for path in compiled.glob("*.sql")) == ANALYSES
    return compiled


def run_in_duckdb_1_4(build, compiled: Path) -> dict:
    compat_python = os.environ.get("DUCKDB_COMPAT_PYTHON")
    if not compat_python:
        pytest.skip("DUCKDB_COMPAT_PYTHON not set (make test sets it to a venv with duckdb 1.4.2)")
    completed = subprocess.run(
        [compat_python, "-c", CLIENT_SCRIPT, str(build.warehouse), str(compiled), *ANALYSES],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout)


def test_there_are_example_analyses():
    assert len(ANALYSES) >= 6


def test_analyses_run_read_only_in_a_duckdb_1_4_client_on_real_data(real_build):
    report = run_in_duckdb_1_4(real_build, compile_analyses(real_build))
    assert report["version"].startswith("1.4"), report["version"]
    assert "read-only" in report["write"], f"a write through a read-only connection was not refused: {report['write']}"
    for name, result in report["analyses"].items():
        assert result["rows"] > 0, f"analysis {name} answers nothing on the real data"
    # Spot checks against the same figures from the marts (DuckDB 1.5, the build's client).
    busiest = report["analyses"]["busiest_hours"]
    assert busiest["rows"] == 10 and busiest["columns"][:3] == ["store", "day_name", "hour_of_day"]
    top_cell = real_build.query(
        "select day_name, hour_of_day from marts.sales_hour_weekday where store = 'olist'"
        " order by order_count desc, iso_day_of_week, hour_of_day limit 1"
    )[0]
    assert busiest["first"][:3] == ["olist", top_cell[0], str(top_cell[1])]
    late = report["analyses"]["late_delivery_by_state"]
    assert late["rows"] == real_build.scalar(
        "select count(distinct state) from marts.fct_orders where store = 'olist' and is_delivered and delivery_days is not null"
    )
    win_back = report["analyses"]["customers_to_win_back"]
    assert win_back["rows"] == real_build.scalar(
        "select count(*) from marts.customer_rfm where rfm_segment in ('At Risk', 'Can''t Lose Them')"
    )
