"""What a build lands: only new files and the appended tail of a grown CSV, by comparing the
input files with what the build copy's raw tables hold (recorded per file in the previous
build's raw.landing__file_loads).

The unit is a raw table (Online Retail: every file of the given file or folder; Olist: each
table's file). Per file, a build records the bytes it landed (landed_bytes, landed_sha256)
and the rows the raw table holds from it (landed_rows). The next build then, per file:

- unchanged: same size and hash as landed: nothing read (a file whose size and modification
  time are those recorded is not even hashed again: its recorded hash stands; any other
  file is hashed in full, as make and rsync trust size and time);
- appended_tail: a plain CSV longer than landed whose first landed_bytes hash as landed (and
  ended with a line end): only the rows after them are read and appended, numbered on;
- new: a file not landed before: read whole and appended.

Anything else re-lands the whole table (full_reland, with the reason): a file that changed
before its old end, shrank, disappeared, or is a csv.gz / workbook that changed (their
bytes cannot be appended to); a CSV whose text encoding changed; no earlier landing recorded;
a raw table whose rows or columns do not match the record (an earlier build stopped midway);
`dbt build --full-refresh`. Rows, row numbers and source-file columns are then exactly those
of a full re-land.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .dates import DateOrder
from .readers import GZIP_MAGIC, ZIP_MAGIC

NEW = "new"
APPENDED_TAIL = "appended_tail"
UNCHANGED = "unchanged"
FULL_RELAND = "full_reland"
NOT_LANDED = "not_landed"
LANDING_MODES = (NEW, APPENDED_TAIL, UNCHANGED, FULL_RELAND, NOT_LANDED)

BLOCK_BYTES = 1 << 20
# The columns of raw.landing__file_loads that say what the raw table holds from a file.
STATE_COLUMNS = (
    "source_table",
    "file_path",
    "status",
    "modified_at",
    "encoding",
    "file_format",
    "skipped_sheets",
    "landed_bytes",
    "landed_sha256",
    "landed_rows",
    "date_values",
    "numeric_date_values",
    "date_first_part_above_12",
    "date_second_part_above_12",
)


@dataclass
class Scan:
    """One pass over a file's bytes: its size, modification time, SHA-256, and the SHA-256
    of its first prefix_bytes (with whether they end with a line end), when asked."""

    size_bytes: int
    modified_at: dt.datetime
    sha256: str
    file_format: str
    prefix_sha256: str | None = None
    prefix_ends_line: bool = False


def modified_at_of(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def recorded_scan(path: Path, record: dict) -> Scan | None:
    """The scan of a file whose size and modification time are those recorded when it was
    landed (record: its row of the previous raw.landing__file_loads), from that record, the
    file not read; None when either differs (or was not recorded): the file is then hashed."""
    recorded_at = record.get("modified_at")
    if recorded_at is None or not record.get("landed_sha256") or not record.get("file_format"):
        return None
    if path.stat().st_size != int(record["landed_bytes"]) or modified_at_of(path) != recorded_at:
        return None
    return Scan(
        size_bytes=int(record["landed_bytes"]),
        modified_at=recorded_at,
        sha256=record["landed_sha256"],
        file_format=record["file_format"],
    )


def scan_file(path: Path, prefix_bytes: int | None = None) -> Scan:
    digest = hashlib.sha256()
    prefix_digest = None
    prefix_ends_line = False
    read = 0
    head = b""
    with path.open("rb") as stream:
        modified_at = modified_at_of(Path(path))
        for block in iter(lambda: stream.read(BLOCK_BYTES), b""):
            if not head:
                head = block[:4]
            if prefix_bytes is not None and prefix_digest is None and read + len(block) >= prefix_bytes:
                cut = prefix_bytes - read
                digest.update(block[:cut])
                prefix_digest = digest.hexdigest()
                prefix_ends_line = cut > 0 and block[cut - 1 : cut] == b"\n"
                digest.update(block[cut:])
            else:
                digest.update(block)
            read += len(block)
    file_format = (
        "xlsx workbook" if head.startswith(ZIP_MAGIC) else ("csv.gz" if head.startswith(GZIP_MAGIC) else "csv")
    )
    return Scan(
        size_bytes=read,
        modified_at=modified_at,
        sha256=digest.hexdigest(),
        file_format=file_format,
        prefix_sha256=prefix_digest,
        prefix_ends_line=prefix_ends_line,
    )


@dataclass
class FileLanding:
    """What this build did with one input file of a raw table, for raw.landing__file_loads."""

    path: Path
    mode: str
    reason: str | None = None
    scan: Scan | None = None
    encoding: str | None = None
    start_byte: int = 0  # appended_tail: where the tail starts
    previous_rows: int = 0  # appended_tail: rows already landed (the tail is numbered on)
    rows_added: int = 0
    skipped_sheets: list[str] | None = None
    date_order: DateOrder = field(default_factory=DateOrder)

    @property
    def landed_rows(self) -> int:
        return self.previous_rows + self.rows_added

    @property
    def reads(self) -> bool:
        return self.mode in (NEW, APPENDED_TAIL, FULL_RELAND)


@dataclass
class TablePlan:
    """The landing of one raw table in this build: in full (full_reason), or file by file."""

    table: str
    files: list[FileLanding]
    full_reason: str | None = None

    @property
    def is_full(self) -> bool:
        return self.full_reason is not None

    def summary(self) -> str:
        if self.is_full:
            return f"re-landed in full: {self.full_reason}"
        counts = {mode: sum(landing.mode == mode for landing in self.files) for mode in (NEW, APPENDED_TAIL, UNCHANGED)}
        rows = sum(landing.rows_added for landing in self.files)
        return (
            f"{counts[NEW]} new file(s), {counts[APPENDED_TAIL]} appended tail(s), "
            f"{counts[UNCHANGED]} unchanged file(s): {rows:,} row(s) added"
        )


def date_order_of(record: dict) -> DateOrder:
    return DateOrder(
        dates=int(record.get("date_values") or 0),
        numeric_dates=int(record.get("numeric_date_values") or 0),
        first_part_above_12=bool(record.get("date_first_part_above_12")),
        second_part_above_12=bool(record.get("date_second_part_above_12")),
    )


def plan_table(
    table: str,
    files: list[Path],
    records: list[dict] | None,
    raw_rows: int | None,
    raw_columns_match: bool,
    full_refresh: bool,
    encoding_of,
) -> TablePlan:
    """Which files of `table` to read, from the files found now (files), what the build
    copy's raw table holds (records: its rows of the previous raw.landing__file_loads, None
    when none are recorded; raw_rows: its row count, None when it does not exist) and
    encoding_of(path) (a CSV's text encoding, read only for a grown file)."""

    def full(reason: str) -> TablePlan:
        return TablePlan(table, [FileLanding(path, FULL_RELAND, reason, scan_file(path)) for path in files], reason)

    if full_refresh:
        return full("dbt build --full-refresh")
    if records is None:
        return full("no earlier landing recorded in the build copy")
    if raw_rows is None:
        return full("the raw table is not in the build copy")
    if not raw_columns_match:
        return full("the raw table's columns are not the landing's")
    landed = {record["file_path"]: record for record in records if record.get("status") == "found"}
    recorded_rows = sum(int(record.get("landed_rows") or 0) for record in landed.values())
    if any(record.get("landed_rows") is None or record.get("landed_bytes") is None for record in landed.values()):
        return full("the earlier landing of a file is not recorded (a build that did not land this table)")
    if raw_rows != recorded_rows:
        return full(
            f"the raw table holds {raw_rows:,} rows where {recorded_rows:,} were recorded (an earlier build stopped midway)"
        )
    current = {str(path) for path in files}
    gone = sorted(name for name in landed if name not in current)
    if gone:
        return full(f"file {gone[0]} landed earlier is gone")
    landings = []
    for path in files:
        record = landed.get(str(path))
        if record is None:
            landings.append(FileLanding(path, NEW, "not landed before", scan_file(path)))
            continue
        landed_bytes = int(record["landed_bytes"])
        scan = recorded_scan(path, record) or scan_file(path, landed_bytes)
        previous_rows = int(record["landed_rows"])
        if scan.size_bytes == landed_bytes and scan.sha256 == record["landed_sha256"]:
            landings.append(
                FileLanding(
                    path,
                    UNCHANGED,
                    None,
                    scan,
                    record.get("encoding"),
                    previous_rows=previous_rows,
                    skipped_sheets=record.get("skipped_sheets"),
                    date_order=date_order_of(record),
                )
            )
            continue
        if scan.size_bytes < landed_bytes:
            return full(f"file {path} shrank from {landed_bytes:,} to {scan.size_bytes:,} bytes")
        if scan.prefix_sha256 != record["landed_sha256"]:
            return full(f"file {path} changed before its old end (its first {landed_bytes:,} bytes differ)")
        if scan.file_format != "csv" or record.get("file_format") != "csv":
            return full(f"file {path} ({scan.file_format}) grew; only a plain CSV's appended rows are landed alone")
        if not scan.prefix_ends_line:
            return full(f"file {path}: its last line had no line end when landed, and bytes were added after it")
        encoding = encoding_of(path)
        if encoding != record.get("encoding"):
            return full(f"file {path}: its text encoding changed from {record.get('encoding')} to {encoding}")
        landings.append(
            FileLanding(
                path,
                APPENDED_TAIL,
                f"{scan.size_bytes - landed_bytes:,} bytes appended",
                scan,
                encoding,
                start_byte=landed_bytes,
                previous_rows=previous_rows,
                date_order=date_order_of(record),
            )
        )
    return TablePlan(table, landings)
