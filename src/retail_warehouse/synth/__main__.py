"""python -m retail_warehouse.synth --lines N --seed S --out DIR [--formats csv,xlsx]"""

from __future__ import annotations

import argparse
import time

from . import FORMATS, MANIFEST_NAME, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_warehouse.synth",
        description="Write synthetic Online Retail (I, II) and Olist files in the real data sets' formats.",
    )
    parser.add_argument("--lines", type=int, default=100_000, help="Online Retail I lines (default 100000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--formats", default=",".join(FORMATS), help="Online Retail formats: csv,xlsx (default both)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: automatic)")
    args = parser.parse_args(argv)
    formats = [name.strip() for name in args.formats.split(",") if name.strip()]
    if args.lines < 1:
        parser.error("--lines must be at least 1")
    if not formats or not set(formats) <= set(FORMATS):
        parser.error(f"--formats must list some of: {','.join(FORMATS)}")

    started = time.perf_counter()
    manifest = generate(args.out, lines=args.lines, seed=args.seed, formats=formats, workers=args.workers)
    elapsed = time.perf_counter() - started
    print(f"synthetic data: lines={args.lines:,} seed={args.seed} -> {args.out} in {elapsed:.1f} s")
    for path, info in manifest["files"].items():
        print(f"  {info['rows']:>12,}  {path}")
    retail = manifest["quirks"]["online_retail"]
    print(
        f"  Online Retail I: {retail['cancellation_lines']:,} cancellation lines, "
        f"{retail['missing_customer_id']:,} without CustomerID, {retail['duplicate_lines']:,} duplicate lines"
    )
    for note in manifest["notes"]:
        print(f"  note: {note}")
    print(f"  manifest: {MANIFEST_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
