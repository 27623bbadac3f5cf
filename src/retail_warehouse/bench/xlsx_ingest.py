"""Read the Online Retail workbook with one reader (one process per reader, so `make bench`
measures each one's wall time and peak memory apart):

  calamine   the warehouse's reader (retail_warehouse.landing.readers, python-calamine):
             every cell as text in an Arrow table, as the landing plugin lands it
  openpyxl   what a notebook does: pandas.read_excel(engine='openpyxl') into a DataFrame

python -m retail_warehouse.bench.xlsx_ingest --reader calamine|openpyxl PATH
"""

from __future__ import annotations

import argparse
from pathlib import Path

READERS = ("calamine", "openpyxl")


def read_rows(path: Path, reader: str) -> int:
    if reader == "calamine":
        from retail_warehouse.landing.readers import read_online_retail_workbook
        from retail_warehouse.landing.specs import ONLINE_RETAIL_COLUMNS

        return read_online_retail_workbook(path, ONLINE_RETAIL_COLUMNS).num_rows
    if reader == "openpyxl":
        import pandas as pd

        return sum(len(frame) for frame in pd.read_excel(path, engine="openpyxl", sheet_name=None).values())
    raise ValueError(f"reader must be one of {READERS}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_warehouse.bench.xlsx_ingest", description=__doc__)
    parser.add_argument("--reader", choices=READERS, required=True)
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    print(f"{args.reader}: {read_rows(args.path, args.reader):,} rows from {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
