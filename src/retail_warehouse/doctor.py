"""`make doctor`: what is wrong with a served warehouse file, and how to fix it.

    python -m retail_warehouse.doctor [--served PATH] [--fix]

One line per finding, ``ok:``, ``note:`` or ``problem: ...; fix: ...``; exit code 1 when there
is a problem. ``--fix`` applies the fixes that are safe without a build: a stale WAL moved
aside, the served file made read-only.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from retail_warehouse import publish

DEFAULT_SERVED = "warehouse/retail_warehouse.duckdb"


@dataclass(frozen=True)
class Finding:
    level: str  # ok, note or problem
    text: str

    def __str__(self) -> str:
        return f"{self.level}: {self.text}"


def examine(served_path: Path | str, *, fix: bool = False) -> list[Finding]:
    """The findings on one served file, in the order a user would act on them."""
    served = Path(served_path)
    build = publish.build_path_for(served)
    findings: list[Finding] = []
    holder = publish.build_lock_holder(build)
    if holder is not None:
        findings.append(Finding("note", f"a build is running ({holder}); it replaces {served} when it passes"))
    if not served.exists():
        findings.append(Finding("problem", f"no served warehouse at {served}; fix: run `make build`"))
        return findings
    if not served.is_file():
        findings.append(Finding("problem", f"{served} is not a file; fix: move it away, then run `make build`"))
        return findings
    findings += _wal_findings(served, fix)
    findings += _mode_findings(served, fix)
    stale_temps = sorted(served.parent.glob(f"{publish.TEMP_PREFIX}{served.name}.*{publish.TEMP_SUFFIX}"))
    if stale_temps and holder is None:
        findings.append(
            Finding(
                "note",
                f"{len(stale_temps)} temporary copy(ies) of a killed publish, e.g. {stale_temps[0]}; "
                "the next publish removes them",
            )
        )
    findings += _content_findings(served)
    return findings


def _wal_findings(served: Path, fix: bool) -> list[Finding]:
    wal = Path(f"{served}.wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return []
    if publish.held_read_write(served):
        return [
            Finding(
                "problem",
                f"a client holds {served} open read-write (its WAL {wal} is live); fix: close that client and "
                "reopen the file read-only (docs/publishing-and-bi-access.md); its writes are lost at the next publish",
            )
        ]
    if fix:
        aside = publish.move_stale_wal(served)
        return [Finding("ok", f"stale WAL {wal} moved aside to {aside}")]
    return [
        Finding(
            "problem",
            f"stale WAL {wal} beside the served file (a client opened it read-write and was killed); "
            "fix: `make doctor DOCTOR_ARGS=--fix` or the next `make build` moves it aside",
        )
    ]


def _mode_findings(served: Path, fix: bool) -> list[Finding]:
    mode = served.stat().st_mode
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return [Finding("ok", f"{served} is read-only")]
    if fix:
        os.chmod(served, publish.READ_ONLY_MODE)
        return [Finding("ok", f"{served} made read-only")]
    return [
        Finding(
            "problem",
            f"{served} is writable, so a client can open it read-write by mistake; "
            f"fix: `chmod a-w {served}` (each publish writes it read-only)",
        )
    ]


def _content_findings(served: Path) -> list[Finding]:
    try:
        with duckdb.connect(str(served), read_only=True) as con:
            version = con.execute("select invocation_id, published_at from meta.warehouse_version").fetchone()
    except duckdb.CatalogException:
        return [
            Finding(
                "problem",
                f"{served} opens but was not published by a build (no meta.warehouse_version); fix: run `make build`",
            )
        ]
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0]
        return [
            Finding(
                "problem",
                f"{served} does not open read-only ({first_line}); fix: run `make build` to publish a new file",
            )
        ]
    return [Finding("ok", f"{served} opens read-only; published {version[1]} by build {version[0]}")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--served", default=os.environ.get("RETAIL_WAREHOUSE") or DEFAULT_SERVED)
    parser.add_argument("--fix", action="store_true", help="move a stale WAL aside, make the file read-only")
    args = parser.parse_args(argv)
    findings = examine(args.served, fix=args.fix)
    for finding in findings:
        print(finding)
    return 1 if any(finding.level == "problem" for finding in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
