"""What the tests share besides fixtures: dbt builds into temporary warehouses, the paths of
the real files, and the content hashing that compares two warehouses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("RETAIL_WAREHOUSE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
REAL_ONLINE_RETAIL_XLSX = SHARED_DATA / "online_retail" / "Online Retail.xlsx"
REAL_ONLINE_RETAIL_CSV = SHARED_DATA / "online_retail" / "online_retail.csv.gz"
REAL_OLIST_DIR = SHARED_DATA / "olist"
DBT = Path(sys.executable).parent / "dbt"


@dataclass
class Build:
    """The outcome of one `dbt build`: its warehouse file, exit code and console output."""

    warehouse: Path
    returncode: int
    output: str

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params=None):
        return self.query(sql, params)[0][0]

    @property
    def build_file(self) -> Path:
        """dbt's working copy; published onto `warehouse` when the build passed."""
        return self.warehouse.parent / ".build" / self.warehouse.name

    @property
    def published(self) -> bool:
        return "publish: published " in self.output


def dbt_build_command(
    workdir: Path,
    *,
    online_retail_path: Path | str = "",
    olist_dir: Path | str = "",
    synthetic_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
    with_ml: bool = True,
) -> tuple[list[str], dict[str, str], Path]:
    """The arguments, environment and served warehouse file of a `dbt build` into workdir.

    dbt writes its build copy to workdir/.build/warehouse.duckdb and a complete, passing
    build publishes it onto workdir/warehouse.duckdb (the served file). with_ml=False leaves
    the ML models out (var ml_enabled), for tests of ingestion and publishing that need
    not pay for them."""
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "warehouse.duckdb"
    env = {
        **os.environ,
        "RETAIL_WAREHOUSE": str(warehouse),
        "ONLINE_RETAIL_PATH": str(online_retail_path),
        "OLIST_DIR": str(olist_dir),
        # Keep each build's artefacts apart so builds never share target/ or logs/.
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(extra_env or {}),
    }
    dbt_vars = {}
    if synthetic_dir is not None:
        dbt_vars["synthetic_dir"] = str(synthetic_dir)
    if not with_ml:
        dbt_vars["ml_enabled"] = False
    args = [str(DBT), "build", *extra_args]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    return args, env, warehouse


def run_dbt_build(
    workdir: Path,
    *,
    online_retail_path: Path | str = "",
    olist_dir: Path | str = "",
    synthetic_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
    with_ml: bool = True,
) -> Build:
    """`dbt build` from the repo root, as a user runs it, published to workdir/warehouse.duckdb."""
    args, env, warehouse = dbt_build_command(
        workdir,
        online_retail_path=online_retail_path,
        olist_dir=olist_dir,
        synthetic_dir=synthetic_dir,
        extra_args=extra_args,
        extra_env=extra_env,
        with_ml=with_ml,
    )
    completed = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    return Build(warehouse, completed.returncode, completed.stdout + completed.stderr)


def require_success(build: Build) -> Build:
    assert build.returncode == 0, f"dbt build failed:\n{build.output[-6000:]}"
    return build


def require_real_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent: the real-data run is skipped")


# Content hashing: the schemas whose tables two builds must agree on.
HASHED_SCHEMAS = ("marts", "ml")

FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
# Floating-point aggregates (avg, sum of doubles) are computed in parallel by DuckDB and may
# differ in the last bits from run to run (about 1e-14 relative): doubles are compared at 10
# significant digits. Every other type (integers, decimals, text, dates) is compared exactly.
FLOAT_DIGITS = 10


def canonical_value(column: str, data_type: str) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    text = f"printf('%.{FLOAT_DIGITS}g', {quoted})" if data_type in FLOAT_TYPES else f"cast({quoted} as varchar)"
    return f"coalesce({text}, '<null>')"


def content_hashes(warehouse, schemas=HASHED_SCHEMAS) -> dict[str, tuple[int, str, str]]:
    """Per table: row count and md5 of its rows rendered as canonical text, sorted.

    Column names and order are part of the hash; sorting the rendered rows makes it
    independent of the physical row order, which SQL does not define."""
    hashes = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ? and table_type = 'BASE TABLE' order by 1, 2",
            [list(schemas)],
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
