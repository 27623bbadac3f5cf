"""Idempotent and deterministic builds: two `dbt build`s on the same inputs publish the same
content in every mart and ML table (row order aside)."""

from __future__ import annotations

import shutil

import duckdb

from conftest import require_success, run_dbt_build

SCHEMAS = ("marts", "ml")


FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
# Floating-point aggregates (avg, sum of doubles) are computed in parallel by DuckDB and may
# differ in the last bits from run to run (about 1e-14 relative): doubles are compared at 10
# significant digits. Every other type (integers, decimals, text, dates) is compared exactly.
FLOAT_DIGITS = 10


def canonical_value(column: str, data_type: str) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    text = f"printf('%.{FLOAT_DIGITS}g', {quoted})" if data_type in FLOAT_TYPES else f"cast({quoted} as varchar)"
    return f"coalesce({text}, '<null>')"


def content_hashes(warehouse) -> dict[str, tuple[int, str, str]]:
    """Per table: row count and md5 of its rows rendered as canonical text, sorted.

    Column names and order are part of the hash; sorting the rendered rows makes it
    independent of the physical row order, which SQL does not define."""
    hashes = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ? and table_type = 'BASE TABLE' order by 1, 2",
            [list(SCHEMAS)],
        ).fetchall()
        for schema, name in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            row_text = " || chr(31) || ".join(canonical_value(column, kind) for column, kind in columns)
            header = chr(31).join(f"{column}:{kind}" for column, kind in columns)
            count, digest = con.execute(
                f"""
                select count(*), md5(coalesce(string_agg(row_text, chr(10) order by row_text), ''))
                from (select {row_text} as row_text from "{schema}"."{name}")
                """
            ).fetchone()
            hashes[f"{schema}.{name}"] = (count, header, digest)
    return hashes


def test_a_second_build_over_the_first_publishes_identical_marts(synthetic_build, synthetic_files, tmp_path):
    """Determinism and idempotence in one: the fixture's build started from nothing; this
    one runs the same inputs again over a copy of its build file (tables replaced, raw files
    re-landed). Every mart and ML table must come out with the same content hash."""
    workdir = tmp_path / "again"
    (workdir / ".build").mkdir(parents=True)
    shutil.copy(synthetic_build.build_file, workdir / ".build" / "warehouse.duckdb")
    second_build = require_success(
        run_dbt_build(
            workdir,
            online_retail_path=synthetic_files / "online_retail" / "online_retail.csv",
            olist_dir=synthetic_files / "olist",
        )
    )
    first = content_hashes(synthetic_build.warehouse)
    second = content_hashes(second_build.warehouse)
    assert len(first) >= 20, sorted(first)
    assert first.keys() == second.keys()
    differing = sorted(name for name in first if first[name] != second[name])
    assert differing == [], f"tables whose content differs between two builds on the same inputs: {differing}"
    # The two builds are two publishes: different versions, same content.
    assert second_build.scalar("select invocation_id from meta.warehouse_version") != synthetic_build.scalar(
        "select invocation_id from meta.warehouse_version"
    )
