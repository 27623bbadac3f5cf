"""The size of the build copy, and so of each published file, over builds that rebuild tables
whole: dbt writes the new table beside the old one and drops the old one, whose blocks DuckDB
reuses only after a checkpoint (the on-run-end hook runs one before the publish). The worst
case, no checkpoint during the build (two dbt threads keep DuckDB from checkpointing on
commit), grows the file once by the rebuilt tables; every later build writes into the blocks
the previous build's checkpoint freed, so the file stays at that size instead of growing."""

from __future__ import annotations

import duckdb

from retail_warehouse import publish

TABLES = ("fct_a", "fct_b", "mart_c")
ROWS = 200_000
BUILDS = 4


def table_sql(build: int) -> str:
    # Different values on each build, as a rebuild over changed inputs writes: nothing to share.
    return f"select i, md5(cast(i * {build + 1} as varchar)) as digest from range({ROWS}) as t(i)"


def rebuild_as_dbt_does(con: duckdb.DuckDBPyConnection, table: str, build: int) -> None:
    """dbt's table materialization: the new table beside the old one, renames, drop."""
    con.execute(f"create table {table}__dbt_tmp as {table_sql(build)}")
    con.execute(f"alter table {table} rename to {table}__dbt_backup")
    con.execute(f"alter table {table}__dbt_tmp rename to {table}")
    con.execute(f"drop table {table}__dbt_backup")


def test_builds_that_rebuild_tables_whole_grow_the_published_file_once_then_not_again(tmp_path):
    served = tmp_path / "w.duckdb"
    build_file = publish.build_path_for(served)
    build_file.parent.mkdir()
    sizes = []
    with duckdb.connect(str(build_file), config={"storage_compatibility_version": "v1.4.0"}) as con:
        con.execute("set debug_skip_checkpoint_on_commit = true")
        for build in range(BUILDS):
            for table in TABLES:
                if build == 0:
                    con.execute(f"create table {table} as {table_sql(build)}")
                else:
                    rebuild_as_dbt_does(con, table, build)
            con.execute("checkpoint")
            publish.publish(build_file, served)
            assert served.read_bytes() == build_file.read_bytes()
            sizes.append(served.stat().st_size)
    first, second, *later = sizes
    # The first rebuild cannot reuse the blocks it frees: the file holds both versions.
    assert second > 1.5 * first, sizes
    # Later rebuilds write into the blocks the previous checkpoint freed: no further growth
    # (a file that kept both versions would add another `first` on every build).
    assert max(later) <= 1.1 * second, sizes
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.execute(f"select count(*) from {TABLES[0]}").fetchone() == (ROWS,)
        used, free = con.execute("select used_blocks, free_blocks from pragma_database_size()").fetchone()
    # What the published file carries beyond its tables: about one build's rebuilt tables.
    assert free <= used, (used, free)
