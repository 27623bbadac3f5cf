"""The landing lands only new files and the appended tail of a grown CSV, and re-lands a raw
table in full (with the reason) when a file changed before its old end, shrank or
disappeared: each build here is a fresh plugin over the same DuckDB file (the build copy),
and its raw table must equal a full landing of the same files into an empty database."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import duckdb
import pytest
import xlsxwriter
from dbt.adapters.duckdb.utils import SourceConfig

from retail_warehouse.landing import incremental, plugin
from retail_warehouse.landing.errors import InputFileError
from retail_warehouse.landing.incremental import plan_table, scan_file
from retail_warehouse.landing.inputs import online_retail_files

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def lines(first: int, count: int, day: int = 1) -> str:
    return "".join(
        f"{536000 + n},85123A,HEART {n},{n % 7 + 1},2010-12-{day:02d} 08:{n % 60:02d}:00,2.55,{17000 + n % 9},UK\n"
        for n in range(first, first + count)
    )


def land(database: Path, online_retail: Path, extra_meta: dict | None = None) -> list[dict]:
    """One build's landing of the Online Retail lines and raw.landing__file_loads, as
    dbt-duckdb's load_source runs it (create or replace <source_config.table_name()> as
    select * from what load returned, after load); returns the file_loads rows."""
    con = duckdb.connect(str(database))
    try:
        landing = plugin.Plugin("landing", {})
        landing.configure_connection(con)
        meta = {"online_retail_path": str(online_retail), "olist_dir": "", **(extra_meta or {})}
        for identifier in ("online_retail__invoice_lines", "landing__file_loads"):
            source = SourceConfig(
                name="landing", identifier=identifier, schema="raw", database=None, meta=dict(meta), tags=[]
            )
            cursor = con.cursor()
            cursor.execute("create schema if not exists raw")
            rows = landing.load(source)
            materialization = source.meta.get("materialization", landing.default_materialization())
            name = source.table_name()
            df_name = name.replace(".", "_") + "_df"
            cursor.register(df_name, rows)
            cursor.execute(f"create or replace {materialization} {name} as select * from {df_name}")
            cursor.close()
        found = con.execute("select * from raw.landing__file_loads where store = 'online_retail' order by file_path")
        names = [column[0] for column in found.description]
        return [dict(zip(names, row, strict=True)) for row in found.fetchall()]
    finally:
        con.close()


def raw_rows(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute("select * from raw.online_retail__invoice_lines order by all").fetchall()


def assert_equals_a_full_landing(database: Path, online_retail: Path, tmp_path: Path) -> None:
    fresh = tmp_path / f"fresh-{len(list(tmp_path.glob('fresh-*')))}.duckdb"
    loads = land(fresh, online_retail)
    assert {row["landing_mode"] for row in loads} == {"full_reland"}
    assert raw_rows(database) == raw_rows(fresh)


def test_a_grown_csv_lands_only_its_tail_and_no_new_input_lands_nothing(tmp_path):
    export = tmp_path / "online_retail.csv"
    export.write_text(HEADER + lines(0, 50))
    database = tmp_path / "build.duckdb"
    first = land(database, export)
    assert [(row["landing_mode"], row["landed_rows"], row["rows_added"]) for row in first] == [("full_reland", 50, 50)]
    assert first[0]["landing_reason"] == "no earlier landing recorded in the build copy"
    assert first[0]["landed_bytes"] == export.stat().st_size and first[0]["landed_sha256"] == first[0]["sha256"]

    with export.open("a") as stream:
        stream.write(lines(50, 20, day=2))
    second = land(database, export)
    assert [(row["landing_mode"], row["landed_rows"], row["rows_added"]) for row in second] == [
        ("appended_tail", 70, 20)
    ]
    assert_equals_a_full_landing(database, export, tmp_path)
    with duckdb.connect(str(database), read_only=True) as con:
        numbers = con.execute("select _source_row_number from raw.online_retail__invoice_lines order by 1").fetchall()
    assert [number for (number,) in numbers] == list(range(1, 71))

    third = land(database, export)
    assert [(row["landing_mode"], row["landed_rows"], row["rows_added"]) for row in third] == [("unchanged", 70, 0)]
    assert_equals_a_full_landing(database, export, tmp_path)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda path: path.write_text(path.read_text().replace("HEART 3,", "HEART 3b,") + lines(50, 5)),
            "changed before",
        ),
        (lambda path: path.write_text(HEADER + lines(0, 40)), "shrank"),
        (lambda path: path.write_bytes(path.read_bytes().rstrip(b"\n")), "shrank"),
    ],
    ids=["early_row_modified", "rows_removed", "line_end_removed"],
)
def test_a_file_changed_before_its_old_end_re_lands_the_table_in_full(tmp_path, change, reason):
    export = tmp_path / "online_retail.csv"
    export.write_text(HEADER + lines(0, 50))
    database = tmp_path / "build.duckdb"
    land(database, export)
    change(export)
    loads = land(database, export)
    assert {row["landing_mode"] for row in loads} == {"full_reland"}
    assert reason in loads[0]["landing_reason"]
    assert_equals_a_full_landing(database, export, tmp_path)


def test_an_unterminated_last_line_continued_later_re_lands_in_full(tmp_path):
    export = tmp_path / "online_retail.csv"
    export.write_text(HEADER + lines(0, 10) + "536999,85123A,LAST,1,2010-12-01 09:00:00,2.5,17000,UK")
    database = tmp_path / "build.duckdb"
    land(database, export)
    with export.open("a") as stream:
        stream.write("RAINE\n" + lines(10, 3))
    loads = land(database, export)
    assert loads[0]["landing_mode"] == "full_reland"
    assert "no line end" in loads[0]["landing_reason"]
    assert_equals_a_full_landing(database, export, tmp_path)


def write_workbook(path: Path, first: int, count: int) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Online Retail")
    sheet.write_row(0, 0, HEADER.strip().split(","))
    for row, line in enumerate(lines(first, count, day=5).splitlines(), start=1):
        sheet.write_row(row, 0, line.split(","))
    workbook.close()


def test_a_folder_of_mixed_exports_lands_new_files_alone_and_a_deleted_file_re_lands_in_full(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "2010-12-01.csv").write_text(HEADER + lines(0, 30))
    with gzip.open(folder / "2010-12-02.csv.gz", "wt") as stream:
        stream.write(HEADER + lines(30, 20, day=2))
    (folder / "README.txt").write_text("exports, one a day")
    database = tmp_path / "build.duckdb"
    first = land(database, folder)
    assert [(Path(row["file_path"]).name, row["landed_rows"]) for row in first] == [
        ("2010-12-01.csv", 30),
        ("2010-12-02.csv.gz", 20),
    ]
    assert {row["input_path"] for row in first} == {str(folder)}

    write_workbook(folder / "2010-12-05.xlsx", 50, 10)
    second = land(database, folder)
    assert [(Path(row["file_path"]).name, row["landing_mode"], row["rows_added"]) for row in second] == [
        ("2010-12-01.csv", "unchanged", 0),
        ("2010-12-02.csv.gz", "unchanged", 0),
        ("2010-12-05.xlsx", "new", 10),
    ]
    assert second[2]["skipped_sheets"] == [] and second[2]["file_format"] == "xlsx workbook"
    assert_equals_a_full_landing(database, folder, tmp_path)
    with duckdb.connect(str(database), read_only=True) as con:
        per_file = con.execute(
            "select _source_file, min(_source_row_number), max(_source_row_number), count(*) "
            "from raw.online_retail__invoice_lines group by 1 order by 1"
        ).fetchall()
    assert [(Path(name).name, low, high, count) for name, low, high, count in per_file] == [
        ("2010-12-01.csv", 1, 30, 30),
        ("2010-12-02.csv.gz", 1, 20, 20),
        ("2010-12-05.xlsx", 1, 10, 10),
    ]

    (folder / "2010-12-02.csv.gz").unlink()
    third = land(database, folder)
    assert {row["landing_mode"] for row in third} == {"full_reland"}
    assert "2010-12-02.csv.gz landed earlier is gone" in third[0]["landing_reason"]
    assert_equals_a_full_landing(database, folder, tmp_path)


def test_a_grown_csv_gz_re_lands_in_full(tmp_path):
    export = tmp_path / "online_retail.csv.gz"
    export.write_bytes(gzip.compress((HEADER + lines(0, 10)).encode()))
    database = tmp_path / "build.duckdb"
    land(database, export)
    export.write_bytes(gzip.compress((HEADER + lines(0, 15)).encode()))
    loads = land(database, export)
    assert loads[0]["landing_mode"] == "full_reland"
    assert_equals_a_full_landing(database, export, tmp_path)


def test_full_refresh_and_a_raw_table_out_of_step_with_its_record_re_land_in_full(tmp_path, monkeypatch):
    export = tmp_path / "online_retail.csv"
    export.write_text(HEADER + lines(0, 10))
    database = tmp_path / "build.duckdb"
    land(database, export)
    monkeypatch.setattr(plugin, "full_refresh_requested", lambda: True)
    assert land(database, export)[0]["landing_reason"] == "dbt build --full-refresh"
    monkeypatch.undo()
    with duckdb.connect(str(database)) as con:  # an earlier build appended, then stopped
        con.execute(
            "insert into raw.online_retail__invoice_lines select * from raw.online_retail__invoice_lines limit 2"
        )
    loads = land(database, export)
    assert loads[0]["landing_mode"] == "full_reland" and "stopped midway" in loads[0]["landing_reason"]
    assert_equals_a_full_landing(database, export, tmp_path)


def test_the_encoding_of_a_grown_csv_is_read_again(tmp_path):
    export = tmp_path / "online_retail.csv"
    export.write_bytes((HEADER + lines(0, 10)).encode())
    database = tmp_path / "build.duckdb"
    land(database, export)
    with export.open("ab") as stream:
        stream.write("536999,85123A,CAF\u00c9,1,2010-12-02 09:00:00,2.5,17000,UK\n".encode("cp1252"))
    loads = land(database, export)
    assert loads[0]["landing_mode"] == "full_reland" and "encoding changed" in loads[0]["landing_reason"]
    assert loads[0]["encoding"] == "cp1252"
    assert_equals_a_full_landing(database, export, tmp_path)


def test_a_bad_appended_tail_is_refused_naming_the_export_and_keeps_the_raw_table(tmp_path):
    export = tmp_path / "online_retail.csv"
    export.write_text(HEADER + lines(0, 10))
    database = tmp_path / "build.duckdb"
    land(database, export)
    before = raw_rows(database)
    with export.open("a") as stream:
        stream.write('536999,85123A,"UNCLOSED,1,2010-12-02 09:00:00,2.5,17000,UK\n')
    with pytest.raises(Exception, match=r"online_retail\.csv") as raised:
        land(database, export)
    assert "landing-tail" not in str(raised.value)
    assert raw_rows(database) == before


def test_an_empty_folder_is_refused_with_what_it_should_hold(tmp_path):
    with pytest.raises(InputFileError, match=r"folder has no Online Retail export.*\*\.csv"):
        online_retail_files(tmp_path)


def test_the_prefix_hash_is_taken_in_the_same_pass_as_the_whole_file_hash(tmp_path):
    import hashlib

    path = tmp_path / "file.csv"
    path.write_bytes(b"a,b\n1,2\n3,4\n")
    scan = scan_file(path, 8)
    assert scan.sha256 == hashlib.sha256(b"a,b\n1,2\n3,4\n").hexdigest()
    assert scan.prefix_sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest() and scan.prefix_ends_line
    assert not scan_file(path, 7).prefix_ends_line
    plan = plan_table("t", [path], None, None, True, False, lambda _: "utf-8")
    assert plan.is_full and plan.full_reason == "no earlier landing recorded in the build copy"


def test_a_file_of_the_recorded_size_and_modification_time_is_not_hashed_again(tmp_path, monkeypatch):
    export = tmp_path / "online_retail.csv"
    export.write_text(HEADER + lines(0, 50))
    database = tmp_path / "build.duckdb"
    land(database, export)
    hashed = []
    scan = incremental.scan_file
    monkeypatch.setattr(incremental, "scan_file", lambda path, *args: hashed.append(path) or scan(path, *args))

    unchanged = land(database, export)
    assert [(row["landing_mode"], row["landed_rows"]) for row in unchanged] == [("unchanged", 50)]
    assert hashed == []

    # Touched (a new modification time, same bytes): hashed again, and still unchanged.
    stat = export.stat()
    os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    touched = land(database, export)
    assert [row["landing_mode"] for row in touched] == ["unchanged"] and hashed == [export]

    # The same size, an early row edited, a new modification time: hashed, re-landed in full.
    export.write_text(export.read_text().replace("HEART 3,", "HEART 9,"))
    os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert export.stat().st_size == stat.st_size
    edited = land(database, export)
    assert edited[0]["landing_mode"] == "full_reland" and "changed before" in edited[0]["landing_reason"]
    assert_equals_a_full_landing(database, export, tmp_path)
