"""Run the floor script (floor.sql): the core marts as one hand-written DuckDB script.

python -m retail_warehouse.bench.floor --online-retail FILE.csv --olist-dir DIR --database OUT.duckdb
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[3]
SEEDS_DIR = REPO_ROOT / "seeds"
FLOOR_TABLES = (
    "stg_online_retail",
    "stg_olist_orders",
    "stg_olist_customers",
    "stg_olist_order_items",
    "fct_order_lines",
    "fct_orders",
    "customer_rfm",
    "sales_daily",
)


def floor_sql() -> str:
    return resources.files(__package__).joinpath("floor.sql").read_text(encoding="utf-8")


def run_floor(
    online_retail_csv: Path,
    olist_dir: Path,
    database: Path | str = ":memory:",
    max_event_date: str | None = None,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Execute floor.sql into `database` and return the open connection."""
    con = duckdb.connect(str(database))
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    con.execute("set variable online_retail_csv = ?", [str(online_retail_csv)])
    con.execute("set variable olist_dir = ?", [str(olist_dir)])
    con.execute("set variable seeds_dir = ?", [str(SEEDS_DIR)])
    if max_event_date:
        con.execute("set variable max_event_timestamp = cast(? as timestamp) + interval 1 day", [max_event_date])
    else:
        con.execute("set variable max_event_timestamp = cast(current_date as timestamp) + interval 1 day")
    con.execute(floor_sql())
    con.execute("checkpoint")
    return con


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_warehouse.bench.floor", description=__doc__)
    parser.add_argument("--online-retail", required=True, type=Path, help="Online Retail I CSV")
    parser.add_argument("--olist-dir", required=True, type=Path, help="folder of the Olist CSVs")
    parser.add_argument("--database", default=":memory:", help="DuckDB file to write (default: in memory)")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 12GB")
    args = parser.parse_args(argv)
    with run_floor(args.online_retail, args.olist_dir, args.database, memory_limit=args.memory_limit) as con:
        for table in FLOOR_TABLES:
            print(f"{table}: {con.execute(f'select count(*) from {table}').fetchone()[0]:,} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
