"""What a BI reader sees in the served warehouse, and a reader process for the publish tests.

`snapshot(con)` reads, in one read-only connection, the published version and the row count
of every table; a half-built warehouse would show up as a version whose counts differ from
the published one, a missing table, or broken row conservation.

Run as a script it is a BI reader: it polls the served file until a stop file appears and
writes one JSON line per poll (`--hold` keeps one connection open the whole time, as a BI tool
that never reconnects).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import duckdb

SCHEMAS = ("raw", "staging", "intermediate", "marts", "ml", "meta")


def snapshot(con: duckdb.DuckDBPyConnection) -> dict:
    version = con.execute("select invocation_id from meta.warehouse_version").fetchone()[0]
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' and table_schema in ? order by 1, 2",
        [list(SCHEMAS)],
    ).fetchall()
    counts = {
        f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        for schema, name in tables
    }
    unbalanced = con.execute(
        "select count(*) from marts.row_conservation where raw_rows <> staged_rows + quarantined_rows"
    ).fetchone()[0]
    digest = hashlib.sha256(json.dumps(counts, sort_keys=True).encode()).hexdigest()[:16]
    return {"version": version, "tables": len(counts), "counts_digest": digest, "unbalanced": unbalanced}


def read_once(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        return snapshot(con)


def poll(path: Path, stop_file: Path, out: Path, hold: bool, interval: float) -> None:
    held = duckdb.connect(str(path), read_only=True) if hold else None
    with out.open("w") as log:
        while True:
            started = time.monotonic()
            try:
                result = snapshot(held) if held is not None else read_once(path)
            except Exception as exc:  # every failure is a finding: record it, keep polling
                result = {"error": f"{type(exc).__name__}: {exc}"}
            result["t"] = time.time()
            result["seconds"] = round(time.monotonic() - started, 4)
            log.write(json.dumps(result) + "\n")
            log.flush()
            if stop_file.exists():
                break
            time.sleep(interval)
    if held is not None:
        held.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--stop-file", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--interval", type=float, default=0.02)
    args = parser.parse_args()
    poll(args.warehouse, args.stop_file, args.out, args.hold, args.interval)


if __name__ == "__main__":
    main()
