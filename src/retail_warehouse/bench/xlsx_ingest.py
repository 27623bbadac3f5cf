"""Read the Online Retail workbook with one reader (one process per reader, so `make bench`
measures each one's wall time and peak memory apart):

  fastexcel  the warehouse's reader (retail_warehouse.landing.readers, fastexcel straight to
             Arrow): every cell as text in an Arrow table, as the landing plugin lands it
  openpyxl   what a notebook does: pandas.read_excel(engine='openpyxl') into a DataFrame

python -m retail_warehouse.bench.xlsx_ingest --reader fastexcel|openpyxl PATH   one read
python -m retail_warehouse.bench.xlsx_ingest [--repeat 3] PATH                  side by side

Side by side, the two readers run in turn (fastexcel, openpyxl, fastexcel, ...) `--repeat`
times each, each read in its own measured process; it prints the medians, their ratio and the
load average, so the ratio comes from one run on whatever else the machine was doing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

READERS = ("fastexcel", "openpyxl")
TARGET_RATIO = 10


def read_rows(path: Path, reader: str) -> int:
    if reader == "fastexcel":
        from retail_warehouse.landing.readers import read_online_retail_workbook
        from retail_warehouse.landing.specs import ONLINE_RETAIL_COLUMNS

        return read_online_retail_workbook(path, ONLINE_RETAIL_COLUMNS).num_rows
    if reader == "openpyxl":
        import pandas as pd

        return sum(len(frame) for frame in pd.read_excel(path, engine="openpyxl", sheet_name=None).values())
    raise ValueError(f"reader must be one of {READERS}")


def side_by_side(path: Path, repeat: int) -> str:
    """Each reader `repeat` times, alternating; a Markdown summary of the medians."""
    from retail_warehouse.bench.measure import run_measured

    load_at_start = os.getloadavg()[0]
    runs: dict[str, list] = {reader: [] for reader in READERS}
    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as logs:
        for attempt in range(repeat):
            for reader in READERS:
                command = [sys.executable, "-m", "retail_warehouse.bench.xlsx_ingest", "--reader", reader, str(path)]
                measured = run_measured(f"xlsx_{reader}", command, Path(logs) / f"{reader}-{attempt}.log")
                if not measured.ok:
                    raise SystemExit(f"{reader} failed: {Path(measured.log).read_text(errors='replace')[-2000:]}")
                runs[reader].append(measured)
    load_at_end = os.getloadavg()[0]

    def median(reader: str, field: str) -> float:
        return statistics.median(getattr(m, field) for m in runs[reader])

    lines = [
        f"| reader | wall s (median of {repeat}) | CPU s | peak RSS MB |",
        "|---|---:|---:|---:|",
        *(
            f"| {reader} | {median(reader, 'wall_seconds'):.1f} | {median(reader, 'cpu_seconds'):.1f} | "
            f"{median(reader, 'peak_rss_mb'):.0f} |"
            for reader in READERS
        ),
    ]
    wall = median("openpyxl", "wall_seconds") / median("fastexcel", "wall_seconds")
    cpu = median("openpyxl", "cpu_seconds") / median("fastexcel", "cpu_seconds")
    lines.append(
        f"\nopenpyxl / fastexcel = {wall:.1f}x wall, {cpu:.1f}x CPU (target >= {TARGET_RATIO}x: "
        f"{'met' if wall >= TARGET_RATIO else 'missed'} on wall time); load average (1 min) "
        f"{load_at_start:.1f} at start, {load_at_end:.1f} at end; {path.name}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_warehouse.bench.xlsx_ingest", description=__doc__)
    parser.add_argument("--reader", choices=READERS, help="one read with this reader (else both, side by side)")
    parser.add_argument("--repeat", type=int, default=3, help="reads of each reader side by side")
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.reader:
        print(f"{args.reader}: {read_rows(args.path, args.reader):,} rows from {args.path}")
    else:
        print(side_by_side(args.path, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
