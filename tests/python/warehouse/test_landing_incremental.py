"""A `dbt build` lands only what is new: the appended tail of a grown export, a new file in
an Online Retail folder, nothing when nothing changed; a deleted file re-lands the table in
full. After each, the raw and staging tables equal those of a fresh full build on the same
inputs (content hashes), and raw.landing__file_loads says what happened.

The builds select the staging models (raw + staging is what the landing decides), on a small
synthetic data set; the ML models are left out."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import duckdb
import pytest
from helpers import content_hashes, require_success, run_dbt_build

from retail_warehouse.bench.append import append_day
from retail_warehouse.synth import generate

STAGING = ("--select", "path:models/staging", "--indirect-selection", "cautious")
# What differs between the builds by design: the record of what each landing did.
LANDING_RECORDS = {"raw.landing__file_loads", "staging.stg_landing__file_loads"}
OR_TABLE = "online_retail__invoice_lines"


def staging_build(workdir: Path, online_retail: Path, olist: Path, *extra: str):
    return require_success(
        run_dbt_build(
            workdir, online_retail_path=online_retail, olist_dir=olist, extra_args=(*STAGING, *extra), with_ml=False
        )
    )


def landed_tables(build) -> dict[str, tuple]:
    """Content hash of every raw and staging table of the build copy (the build is partial:
    not published), the landing records left out."""
    hashes = content_hashes(build.build_file, schemas=("raw", "staging"))
    return {name: value for name, value in hashes.items() if name not in LANDING_RECORDS}


def file_loads(build) -> dict[tuple[str, str], tuple]:
    """(raw table, file name) -> landing_mode, landed_rows, rows_added, landing_reason."""
    with duckdb.connect(str(build.build_file), read_only=True) as con:
        rows = con.execute(
            "select source_table, file_path, landing_mode, landed_rows, rows_added, landing_reason "
            "from raw.landing__file_loads where status = 'found'"
        ).fetchall()
    return {
        (table, Path(path).name): (mode, landed, added, reason) for table, path, mode, landed, added, reason in rows
    }


def assert_same_tables(incremental, full) -> None:
    incremental_hashes, full_hashes = landed_tables(incremental), landed_tables(full)
    assert f"raw.{OR_TABLE}" in full_hashes and "staging.stg_olist__orders" in full_hashes
    assert incremental_hashes.keys() == full_hashes.keys()
    differing = sorted(name for name in full_hashes if incremental_hashes[name] != full_hashes[name])
    assert differing == [], f"tables that differ from a full build on the same inputs: {differing}"


@pytest.fixture(scope="module")
def small_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing_inputs")
    generate(out, lines=3000, seed=11, formats=("csv",))
    return out


def test_an_appended_day_lands_only_its_tail_and_no_new_input_lands_nothing(small_files, tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(small_files, inputs)
    online_retail, olist = inputs / "online_retail" / "online_retail.csv", inputs / "olist"
    workdir = tmp_path / "incremental"
    first = staging_build(workdir, online_retail, olist)
    assert {mode for mode, *_ in file_loads(first).values()} == {"full_reland"}
    before = file_loads(first)

    # The next export: the same files, a day of rows appended (the other files copied as they were).
    appended = tmp_path / "appended"
    added = append_day(inputs, appended)
    assert added["online_retail"] > 0 and added["olist"] > 0
    for path in appended.rglob("*.csv"):
        if not path.samefile(inputs / path.relative_to(appended)):  # unchanged files are hard links
            shutil.copyfile(path, inputs / path.relative_to(appended))
    second = staging_build(workdir, online_retail, olist)
    loads = file_loads(second)
    mode, landed, rows_added, _ = loads[(OR_TABLE, "online_retail.csv")]
    assert (mode, rows_added) == ("appended_tail", added["online_retail"])
    assert landed == before[(OR_TABLE, "online_retail.csv")][1] + added["online_retail"]
    assert loads[("olist__orders", "olist_orders_dataset.csv")][0] == "appended_tail"
    assert loads[("olist__geolocation", "olist_geolocation_dataset.csv")][:3] == (
        "unchanged",
        before[("olist__geolocation", "olist_geolocation_dataset.csv")][1],
        0,
    )
    assert "re-landed in full" not in second.output

    full = staging_build(tmp_path / "full", online_retail, olist, "--full-refresh")
    assert {(mode, reason) for mode, _, _, reason in file_loads(full).values()} == {
        ("full_reland", "dbt build --full-refresh")
    }
    assert_same_tables(second, full)

    # No new input: nothing is read, and the tables are still those of a full build.
    third = staging_build(workdir, online_retail, olist)
    assert {(mode, added) for mode, _, added, _ in file_loads(third).values()} == {("unchanged", 0)}
    assert "re-landed in full" not in third.output
    assert_same_tables(third, full)


def write_export(path: Path, header: list[str], rows: list[list[str]]) -> None:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)


def test_a_folder_of_exports_lands_a_new_file_alone_and_re_lands_when_one_is_deleted(small_files, tmp_path):
    with (small_files / "online_retail" / "online_retail.csv").open(encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    folder = tmp_path / "exports"
    folder.mkdir()
    write_export(folder / "week-1.csv", header, rows[:1000])
    write_export(folder / "week-2.csv.gz", header, rows[1000:2000])
    olist = small_files / "olist"
    workdir = tmp_path / "incremental"
    staging_build(workdir, folder, olist)

    write_export(folder / "week-3.csv", header, rows[2000:])
    added = staging_build(workdir, folder, olist)
    loads = file_loads(added)
    assert [(name, loads[(OR_TABLE, name)][:3]) for name in ("week-1.csv", "week-2.csv.gz", "week-3.csv")] == [
        ("week-1.csv", ("unchanged", 1000, 0)),
        ("week-2.csv.gz", ("unchanged", 1000, 0)),
        ("week-3.csv", ("new", len(rows) - 2000, len(rows) - 2000)),
    ]
    assert loads[("olist__orders", "olist_orders_dataset.csv")][0] == "unchanged"
    assert_same_tables(added, staging_build(tmp_path / "full-added", folder, olist))

    (folder / "week-2.csv.gz").unlink()
    deleted = staging_build(workdir, folder, olist)
    loads = file_loads(deleted)
    assert {loads[(OR_TABLE, name)][0] for name in ("week-1.csv", "week-3.csv")} == {"full_reland"}
    assert "week-2.csv.gz landed earlier is gone" in loads[(OR_TABLE, "week-1.csv")][3]
    assert "week-2.csv.gz landed earlier is gone" in deleted.output
    assert_same_tables(deleted, staging_build(tmp_path / "full-deleted", folder, olist))
