"""dbt-duckdb source plugin: lands the raw input files when a staging model calls source().

Configured in profiles.yml (module retail_warehouse.landing.plugin, alias landing) and used by
sources whose config says ``plugin: landing``. The source's identifier says which table to
land: ``online_retail__invoice_lines``, ``olist__<table>`` or ``landing__file_loads`` (the
status of every expected input file, which feeds marts.data_quality_issues).

The plugin also carries the publish step (retail_warehouse.publish): with ``served_path`` in
its config, it starts the build copy from the served file when there is none yet, and
registers the SQL function ``publish_warehouse()`` that the on-run-end hook calls.
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from dbt.adapters.events.logging import AdapterLogger
from dbt_common.exceptions import DbtRuntimeError

from retail_warehouse import publish

from .dates import DateOrder, observed
from .errors import InputFileError
from .incremental import (
    APPENDED_TAIL,
    FULL_RELAND,
    NOT_LANDED,
    STATE_COLUMNS,
    UNCHANGED,
    FileLanding,
    TablePlan,
    date_order_of,
    plan_table,
    scan_file,
)
from .inputs import (
    Inputs,
    expected_olist_names,
    ignored_online_retail_files,
    olist_file_path,
    online_retail_files,
    resolve_inputs,
    reuse_recorded_inputs,
)
from .readers import (
    check_readable_file,
    csv_has_data_row,
    csv_reader,
    detect_encoding,
    empty_table,
    match_columns,
    read_csv_header,
    read_online_retail,
    text_schema,
)
from .specs import OLIST_FILES, OLIST_FILES_BY_TABLE, ONLINE_RETAIL_COLUMNS

logger = AdapterLogger("retail_warehouse")

FILE_LOADS_SCHEMA = pa.schema(
    [
        ("store", pa.string()),
        ("source_table", pa.string()),
        ("file_path", pa.string()),
        ("status", pa.string()),
        ("is_required", pa.bool_()),
        ("is_synthetic", pa.bool_()),
        ("detail", pa.string()),
        ("size_bytes", pa.int64()),
        ("sha256", pa.string()),
        ("file_format", pa.string()),
        ("encoding", pa.string()),
        ("skipped_sheets", pa.list_(pa.string())),
        ("date_order", pa.string()),
        # What the build copy's raw table holds from the file, and what this build did
        # (retail_warehouse.landing.incremental).
        ("input_path", pa.string()),
        ("modified_at", pa.timestamp("us", tz="UTC")),
        ("landed_bytes", pa.int64()),
        ("landed_sha256", pa.string()),
        ("landed_rows", pa.int64()),
        ("rows_added", pa.int64()),
        ("landing_mode", pa.string()),
        ("landing_reason", pa.string()),
        ("date_values", pa.int64()),
        ("numeric_date_values", pa.int64()),
        ("date_first_part_above_12", pa.bool_()),
        ("date_second_part_above_12", pa.bool_()),
    ]
)


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self.synthetic_dir = Path(plugin_config.get("synthetic_dir", "data/synthetic"))
        self.served_path = (plugin_config.get("served_path") or "").strip() or None
        self._recorded_lock = threading.Lock()
        self._recorded: tuple[str, str] | bool | None = False  # False: not looked up yet
        self._stopped = False
        self._locked = False
        # Online Retail path -> what its landing found (for raw.landing__file_loads, which
        # base_online_retail__invoice_lines and stg_landing__file_loads land after the lines).
        self._online_retail_landings: dict[str, FileLanding] = {}
        # The build copy's connection (configure_connection), what its raw tables held when
        # the build started (_previous_records) and this build's landing of each raw table.
        self._conn = None
        self._state_lock = threading.Lock()
        self._previous: dict[str, list[dict]] | bool | None = False
        self._plans: dict[str, TablePlan] = {}

    def update_connection_config(self, creds, config: dict) -> None:
        # Runs just before dbt-duckdb opens the database file: the build copy. One build at a
        # time (the lock), a stale WAL beside the served file moved aside, the build copy
        # started from the served file. A fault stops the build with one line and no
        # traceback (dbt prints a DbtRuntimeError's message alone).
        if not self.served_path or not creds.path or creds.path == ":memory:":
            return
        try:
            if not self._locked:
                publish.acquire_build_lock(creds.path)
                self._locked = True
                atexit.register(self._say_left_unchanged_if_untold, creds.path)
            stale_wal = publish.move_stale_wal(self.served_path)
            if stale_wal is not None:
                logger.warning(
                    f"a stale WAL beside the served file {self.served_path} (left by a client that opened it "
                    f"read-write) was moved aside to {stale_wal}; open the served file read-only"
                )
            if publish.seed_build_file(creds.path, self.served_path):
                logger.info(f"build copy {creds.path} started from the served file {self.served_path}")
        except OSError as error:
            self._stop(f"cannot prepare the build copy: {publish.describe_os_error(error, creds.path)}")
        except publish.PublishFault as fault:
            self._stop(str(fault))

    def _stop(self, message: str):
        # dbt-duckdb retries opening the connection from each thread: said once.
        if not self._stopped:
            self._stopped = True
            self._say_left_unchanged(message)
        raise DbtRuntimeError(message)

    def _say_left_unchanged(self, reason: str) -> str:
        line = f"publish: served warehouse {self.served_path} left unchanged: {reason}"
        logger.error(line)
        publish.note_outcome_said()
        return line

    def _say_left_unchanged_if_untold(self, build_path: str) -> None:
        # A build that died before its on-run-end hook (e.g. the database invalidated by a
        # full disk) has not said it: said at exit, with the build copy kept.
        if not publish.outcome_said():
            self._say_left_unchanged(
                f"the build did not complete (see the errors above); the build copy {build_path} is kept"
            )

    def configure_connection(self, conn) -> None:
        self._conn = conn
        build_path = self.creds.path if self.creds is not None else None
        served_path = self.served_path

        def publish_warehouse() -> str:
            # A fault comes back as text starting "fault: ", so the on-run-end hook says it in
            # one line and fails the build without a traceback.
            if not served_path or not build_path:
                return "fault: no served_path in the landing plugin config (profiles.yml)"
            try:
                return publish.publish(build_path, served_path)
            except publish.PublishFault as fault:
                reason = f"{fault}; the build copy {build_path} is kept"
                self._say_left_unchanged(reason)
                return f"fault: {reason}"

        conn.create_function("publish_warehouse", publish_warehouse, [], "VARCHAR", side_effects=True)

        def served_warehouse_left_unchanged(reason: str) -> str:
            # Called by the hooks (macros/publish.sql) that keep the served file.
            return self._say_left_unchanged(reason)

        conn.create_function(
            "served_warehouse_left_unchanged",
            served_warehouse_left_unchanged,
            ["VARCHAR"],
            "VARCHAR",
            side_effects=True,
        )

    def load(self, source_config: SourceConfig):
        try:
            return self._land(source_config)
        except InputFileError as error:
            # Said at once as well as raised: with --fail-fast, dbt-duckdb can fail while
            # cancelling the other thread's connection and then never print the node's error
            # nor run the on-run-end hook that says the served file was kept.
            logger.error(f"landing refused {source_config.identifier}: {error}")
            if self.served_path:
                self._say_left_unchanged("an input was refused")
            raise

    def _given_inputs(self, source_config: SourceConfig) -> tuple[str, str]:
        """The inputs of this build: those given, else (use_synthetic_data not set) the ones
        the served warehouse was built from, looked up once per build."""
        online_retail_path = (source_config.get("online_retail_path") or "").strip()
        olist_dir = (source_config.get("olist_dir") or "").strip()
        use_synthetic = str(source_config.get("use_synthetic_data") or "").strip().lower() in ("true", "1", "yes")
        if online_retail_path or olist_dir or use_synthetic or not self.served_path:
            return online_retail_path, olist_dir
        with self._recorded_lock:
            if self._recorded is False:
                self._recorded = reuse_recorded_inputs(Path(self.served_path))
                if self._recorded is not None:
                    online_retail, olist = self._recorded
                    logger.info(
                        f"no input given: reusing the inputs the served warehouse {self.served_path} was built "
                        f"from (online_retail_path={online_retail or '(none)'}, olist_dir={olist or '(none)'}); "
                        "var use_synthetic_data: true builds on synthetic data instead"
                    )
            return self._recorded or (online_retail_path, olist_dir)

    def _land(self, source_config: SourceConfig):
        online_retail_path, olist_dir = self._given_inputs(source_config)
        inputs = resolve_inputs(
            online_retail_path,
            olist_dir,
            Path(source_config.get("synthetic_dir") or self.synthetic_dir),
        )
        table = source_config.identifier
        if table == "landing__file_loads":
            return file_loads(inputs, self._online_retail_landings, self._plans, self._previous_records())
        if table == ONLINE_RETAIL_TABLE:
            files = online_retail_input_files(inputs)
            columns = ONLINE_RETAIL_COLUMNS
        elif table.startswith("olist__") and table.removeprefix("olist__") in OLIST_FILES_BY_TABLE:
            files = olist_input_files(inputs, OLIST_FILES_BY_TABLE[table.removeprefix("olist__")])
            columns = OLIST_FILES_BY_TABLE[table.removeprefix("olist__")].columns
        else:
            raise InputFileError(table, "no landing rule for this source table")
        for file in files:
            check_readable_file(file)  # a missing or empty file: its one error, before any hashing
        if self._conn is None:  # no build copy to keep rows in (a plugin used alone): in full
            return self._land_in_full(inputs, table, None)
        plan = self._plan(table, files, columns)
        if plan.is_full:
            logger.info(f"landing {source_config.schema}.{table}: {plan.summary()}")
            return self._land_in_full(inputs, table, plan)
        self._land_new_rows(inputs, table, plan)
        logger.info(f"landing {source_config.schema}.{table}: {plan.summary()}")
        # The rows are in the raw table already: dbt-duckdb's "create or replace <table> as
        # select * from <what load returned>" is pointed at a temporary table of this cursor.
        source_config.database, source_config.schema = "temp", "main"
        source_config.identifier = f"landing_done__{table}"
        source_config.meta["materialization"] = "temp table"
        return empty_table(columns)

    def _land_in_full(self, inputs: Inputs, table: str, plan: TablePlan | None):
        if table == ONLINE_RETAIL_TABLE:
            return land_online_retail(inputs, self._online_retail_landings, plan)
        return land_olist(inputs, table.removeprefix("olist__"), plan)

    def _previous_records(self) -> dict[str, list[dict]] | None:
        """What the build copy's raw tables hold, per raw table: its rows of the previous
        build's raw.landing__file_loads (read once, before this build replaces it); None
        when there is none, or it predates the landing columns."""
        with self._state_lock:
            if self._previous is False:
                self._previous = None
                if self._conn is not None:
                    cursor = self._conn.cursor()
                    try:
                        found = cursor.execute(f"select {', '.join(STATE_COLUMNS)} from raw.landing__file_loads")
                        rows = [dict(zip(STATE_COLUMNS, row, strict=True)) for row in found.fetchall()]
                    except duckdb.Error:
                        rows = None  # no earlier build, or one before these columns
                    finally:
                        cursor.close()
                    if rows is not None:
                        self._previous = {}
                        for row in rows:
                            self._previous.setdefault(row["source_table"], []).append(row)
            return self._previous

    def _plan(self, table: str, files: list[Path], columns) -> TablePlan:
        previous = self._previous_records()
        cursor = self._conn.cursor()
        try:
            try:
                raw_rows = cursor.execute(f"select count(*) from raw.{table}").fetchone()[0]
                found_columns = [
                    name
                    for (name,) in cursor.execute(
                        "select column_name from information_schema.columns where table_catalog = current_database() "
                        "and table_schema = 'raw' and table_name = ? order by ordinal_position",
                        [table],
                    ).fetchall()
                ]
            except duckdb.Error:
                raw_rows, found_columns = None, []
        finally:
            cursor.close()
        plan = plan_table(
            table,
            files,
            None if previous is None else previous.get(table, []),
            raw_rows,
            found_columns == text_schema(columns).names,
            full_refresh_requested(),
            detect_encoding,
        )
        self._plans[table] = plan
        return plan

    def _land_new_rows(self, inputs: Inputs, table: str, plan: TablePlan) -> None:
        """Append the new files and the appended tails to the raw table, in one transaction."""
        reading = [landing for landing in plan.files if landing.reads]
        if not reading:
            return
        cursor = self._conn.cursor()
        try:
            cursor.begin()
            for number, landing in enumerate(reading):
                with landing_source(landing, table) as stream:
                    if table == ONLINE_RETAIL_TABLE:
                        self._online_retail_landings[str(landing.path)] = landing
                        stream = observed(stream, "invoice_date", landing.date_order)
                    name = f"landing_rows_{number}"
                    cursor.register(name, counted(stream, landing))
                    cursor.execute(f"insert into raw.{table} by name select * from {name}")
                    cursor.unregister(name)
            cursor.commit()
        except BaseException:
            cursor.rollback()
            raise
        finally:
            cursor.close()


ONLINE_RETAIL_TABLE = "online_retail__invoice_lines"


def full_refresh_requested() -> bool:
    """Whether this dbt invocation runs with --full-refresh."""
    try:
        from dbt.flags import get_flags

        return bool(getattr(get_flags(), "FULL_REFRESH", False))
    except Exception:  # outside a dbt invocation (unit tests)
        return False


def online_retail_input_files(inputs: Inputs) -> list[Path]:
    """The Online Retail files of this build (none when the store is not given); the files of
    a folder that are not read are named in a warning."""
    if inputs.online_retail_path is None:
        return []
    path = inputs.online_retail_path
    ignored = ignored_online_retail_files(path)
    if ignored:
        logger.warning(
            f"{path}: file(s) {', '.join(child.name for child in ignored)} are not .csv, .csv.gz or .xlsx; not read"
        )
    return online_retail_files(path)


def olist_input_files(inputs: Inputs, spec) -> list[Path]:
    """The file of one Olist table (none when missing and optional, or the store not given);
    a missing required file stops the build."""
    if inputs.olist_dir is None:
        return []
    path = olist_file_path(inputs.olist_dir, spec)
    if path is None:
        if spec.required:
            raise InputFileError(
                inputs.olist_dir / f"{spec.file_stem}.csv",
                f"required Olist file not found in {inputs.olist_dir}",
                expected=expected_olist_names(spec),
            )
        logger.warning(
            f"Olist file {expected_olist_names(spec)} not found in "
            f"{inputs.olist_dir}; raw.olist__{spec.table} is empty and the marts that need it are "
            "empty (see marts.data_quality_issues)"
        )
        return []
    return [path]


@contextmanager
def landing_source(landing: FileLanding, table: str):
    """The rows of a new file, or of the appended tail of a grown CSV (read from a temporary
    file holding its header and the tail, with the file's path and row numbers)."""
    if landing.mode != APPENDED_TAIL:
        if table == ONLINE_RETAIL_TABLE:
            yield online_retail_rows(landing.path, landing)
        else:
            yield olist_rows(landing.path, OLIST_FILES_BY_TABLE[table.removeprefix("olist__")])
        return
    with landing.path.open("rb") as source:
        header = source.readline()
        source.seek(landing.start_byte)
        fd, name = tempfile.mkstemp(prefix="landing-tail-", suffix=".csv")
        tail = Path(name)
        with open(fd, "wb") as target:
            target.write(header)
            shutil.copyfileobj(source, target, 1 << 20)
    try:
        options = {"source_file": landing.path, "first_row_number": landing.previous_rows + 1}
        try:
            if table == ONLINE_RETAIL_TABLE:
                stream = read_online_retail(tail, ONLINE_RETAIL_COLUMNS, **options)
            else:
                spec = OLIST_FILES_BY_TABLE[table.removeprefix("olist__")]
                stream = csv_reader(tail, {name: name for name in spec.columns}, spec.columns, **options)
            yield _named(stream, tail, landing.path)
        except InputFileError as error:
            raise _renamed(error, tail, landing.path) from error
    finally:
        tail.unlink(missing_ok=True)


def _renamed(error: InputFileError, tail: Path, path: Path) -> InputFileError:
    return InputFileError(
        path, error.problem.replace(str(tail), str(path)), column=error.column, expected=error.expected
    )


def _named(stream, tail: Path, path: Path) -> pa.RecordBatchReader:
    """A tail's stream whose errors name the export, not the temporary file."""
    if isinstance(stream, pa.Table):
        return stream.to_reader()

    def batches():
        try:
            yield from stream
        except InputFileError as error:
            raise _renamed(error, tail, path) from error

    return pa.RecordBatchReader.from_batches(stream.schema, batches())


def counted(result: pa.Table | pa.RecordBatchReader, landing: FileLanding | None):
    """The rows, unchanged, counted into landing.rows_added as they pass."""
    if landing is None:
        return result
    if isinstance(result, pa.Table):
        landing.rows_added += result.num_rows
        return result

    def batches():
        for batch in result:
            landing.rows_added += batch.num_rows
            yield batch

    return pa.RecordBatchReader.from_batches(result.schema, batches())


def online_retail_rows(path: Path, landing: FileLanding):
    """One Online Retail file's lines, its skipped sheets kept in landing (and said)."""
    landing.skipped_sheets = []
    result = read_online_retail(path, ONLINE_RETAIL_COLUMNS, landing.skipped_sheets)
    if landing.skipped_sheets:
        logger.warning(
            f"{path}: sheet(s) {', '.join(repr(name) for name in landing.skipped_sheets)} skipped: empty, or no Online Retail "
            "header (notes, pivots); listed in raw.landing__file_loads.skipped_sheets"
        )
    # A given file without data rows is a broken export: publishing it would empty the store.
    if (isinstance(result, pa.Table) and result.num_rows == 0) or (
        not isinstance(result, pa.Table) and not csv_has_data_row(path)
    ):
        raise InputFileError(
            path, "has a header but no data rows", expected="Online Retail invoice lines below the header"
        )
    return result


def olist_rows(path: Path, spec):
    header = read_csv_header(path)
    match_columns(path, header, spec.columns, f"Olist {spec.file_stem}")
    extra = [name for name in header if name not in spec.columns]
    if extra:
        # Another Olist schema version: the columns this warehouse knows are read by name.
        logger.warning(
            f"{path}: column(s) {', '.join(extra)} are not in the Olist layout this warehouse reads; ignored"
        )
    if spec.required and not csv_has_data_row(path):
        raise InputFileError(
            path, "has a header but no data rows", expected=f"Olist {spec.table} rows below the header"
        )
    logger.info(f"landing {path}")
    return csv_reader(path, {name: name for name in spec.columns}, spec.columns)


def land_online_retail(inputs: Inputs, landings: dict[str, FileLanding], plan: TablePlan | None = None):
    """Every Online Retail file's lines (a file, or each file of a folder in name order); per
    file, the workbook sheets skipped (said in a warning), its date order (observed as the
    lines land) and its rows are kept in landings, by path, for raw.landing__file_loads."""
    if inputs.online_retail_path is None:
        logger.info("no Online Retail input given; that store is left empty")
        return empty_table(ONLINE_RETAIL_COLUMNS)
    path = inputs.online_retail_path
    logger.info(f"landing Online Retail from {path}")
    by_path = {str(landing.path): landing for landing in plan.files} if plan is not None else {}
    streams = []
    # Every file is opened (and checked) now, so that a bad file stops the build at once.
    for file in online_retail_files(path) if plan is None else [landing.path for landing in plan.files]:
        landing = landings[str(file)] = by_path.get(str(file)) or FileLanding(file, FULL_RELAND)
        landing.rows_added = 0
        landing.date_order = DateOrder()
        result = online_retail_rows(file, landing)
        streams.append(counted(observed(result, "invoice_date", landing.date_order), landing))
    return chained(streams, text_schema(ONLINE_RETAIL_COLUMNS))


def chained(streams: list, schema: pa.Schema):
    """One stream of several files' rows (a single file's result as it is)."""
    if len(streams) == 1:
        return streams[0]

    def batches():
        for stream in streams:
            yield from (stream.to_batches() if isinstance(stream, pa.Table) else stream)

    return pa.RecordBatchReader.from_batches(schema, batches())


def land_olist(inputs: Inputs, table: str, plan: TablePlan | None = None):
    spec = OLIST_FILES_BY_TABLE[table]
    if inputs.olist_dir is None:
        return empty_table(spec.columns)
    files = olist_input_files(inputs, spec) if plan is None else [landing.path for landing in plan.files]
    if not files:
        return empty_table(spec.columns)
    landing = plan.files[0] if plan is not None and plan.files else None
    if landing is not None:
        landing.rows_added = 0
    return counted(olist_rows(files[0], spec), landing)


def file_loads(
    inputs: Inputs,
    landings: dict[str, FileLanding] | None = None,
    plans: dict[str, TablePlan] | None = None,
    previous: dict[str, list[dict]] | None = None,
) -> pa.Table:
    """One row per input file (found, missing, or its store not given; an Online Retail
    folder: a row per file), with what this build landed from it (plans, by raw table; the
    Online Retail landings by path: skipped sheets, date order). A raw table this build did
    not land (a build that did not select it) keeps what the previous record says
    (previous), with landing_mode not_landed."""
    landings = landings or {}
    plans = plans or {}
    previous = previous or {}
    rows = [
        _with_landing(row, landings, plans, previous, inputs)
        for row in [*_online_retail_status(inputs), *(_olist_status(inputs, spec) for spec in OLIST_FILES)]
    ]
    return pa.Table.from_pylist(rows, schema=FILE_LOADS_SCHEMA)


def _with_landing(row: dict, landings, plans, previous, inputs: Inputs) -> dict:
    table, path = row["source_table"], row["file_path"]
    row["input_path"] = (
        str(inputs.online_retail_path)
        if table == ONLINE_RETAIL_TABLE and inputs.online_retail_path is not None
        else (str(inputs.olist_dir) if table != ONLINE_RETAIL_TABLE and inputs.olist_dir is not None else None)
    )
    plan = plans.get(table)
    landing = None
    if plan is not None:
        landing = next((item for item in plan.files if str(item.path) == path), None)
    if landing is None and table == ONLINE_RETAIL_TABLE:
        landing = landings.get(path)
    if row["status"] != "found":
        if plan is not None:
            row.update(landing_mode=FULL_RELAND if plan.is_full else UNCHANGED, landing_reason=plan.full_reason)
            row.update(landed_rows=0, rows_added=0)
        else:
            row["landing_mode"] = NOT_LANDED
        return row
    if landing is None:
        record = next((item for item in previous.get(table, []) if item["file_path"] == path), None)
        row.update(_described(row, Path(path)))
        row["landing_mode"] = NOT_LANDED
        row["landing_reason"] = "its raw table was not landed in this build (not selected)"
        if record is not None:
            for name in ("landed_bytes", "landed_sha256", "landed_rows", *DATE_EVIDENCE):
                row[name] = record.get(name)
            row["encoding"] = record.get("encoding") or row["encoding"]
            if table == ONLINE_RETAIL_TABLE and record.get("date_values") is not None:
                row["date_order"] = date_order_of(record).order
            if row["file_format"] == "xlsx workbook":
                row["skipped_sheets"] = record.get("skipped_sheets")
        return row
    scan = landing.scan or scan_file(landing.path)
    if landing.encoding is None and scan.file_format != "xlsx workbook":
        landing.encoding = detect_encoding(landing.path)
    encoding = landing.encoding
    row.update(
        size_bytes=scan.size_bytes,
        sha256=scan.sha256,
        file_format=scan.file_format,
        encoding=encoding,
        modified_at=scan.modified_at,
        landed_bytes=scan.size_bytes,
        landed_sha256=scan.sha256,
        landed_rows=landing.landed_rows,
        rows_added=landing.rows_added,
        landing_mode=landing.mode,
        landing_reason=landing.reason,
    )
    if table == ONLINE_RETAIL_TABLE:
        evidence = landing.date_order
        row.update(
            date_order=evidence.order,
            date_values=evidence.dates,
            numeric_date_values=evidence.numeric_dates,
            date_first_part_above_12=evidence.first_part_above_12,
            date_second_part_above_12=evidence.second_part_above_12,
        )
        if scan.file_format == "xlsx workbook":
            row["skipped_sheets"] = landing.skipped_sheets or []
    return row


DATE_EVIDENCE = ("date_values", "numeric_date_values", "date_first_part_above_12", "date_second_part_above_12")


def _online_retail_status(inputs: Inputs) -> list[dict]:
    path = inputs.online_retail_path
    if path is None:
        return [
            _status_row(
                "online_retail",
                ONLINE_RETAIL_TABLE,
                None,
                "store_not_given",
                True,
                inputs,
                "no Online Retail file given (online_retail_path)",
            )
        ]
    if not path.exists():
        return [_status_row("online_retail", ONLINE_RETAIL_TABLE, path, "missing", True, inputs, "file not found")]
    try:
        files = online_retail_files(path)
    except InputFileError as error:
        return [_status_row("online_retail", ONLINE_RETAIL_TABLE, path, "missing", True, inputs, error.problem)]
    return [_status_row("online_retail", ONLINE_RETAIL_TABLE, file, "found", True, inputs, None) for file in files]


def _olist_status(inputs: Inputs, spec) -> dict:
    if inputs.olist_dir is None:
        return _status_row(
            "olist",
            f"olist__{spec.table}",
            None,
            "store_not_given",
            spec.required,
            inputs,
            "no Olist folder given (olist_dir)",
        )
    path = olist_file_path(inputs.olist_dir, spec) if inputs.olist_dir.is_dir() else None
    if path is None:
        return _status_row(
            "olist",
            f"olist__{spec.table}",
            inputs.olist_dir / f"{spec.file_stem}.csv",
            "missing",
            spec.required,
            inputs,
            f"{expected_olist_names(spec)} not found in {inputs.olist_dir}",
        )
    return _status_row("olist", f"olist__{spec.table}", path, "found", spec.required, inputs, None)


def _status_row(store, source_table, path, status, is_required, inputs: Inputs, detail) -> dict:
    return {
        "store": store,
        "source_table": source_table,
        "file_path": str(path) if path is not None else None,
        "status": status,
        "is_required": is_required,
        "is_synthetic": inputs.synthetic,
        "detail": detail,
    }


def _described(row: dict, path: Path) -> dict:
    described = describe_file(path)
    described["modified_at"] = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    return described


def describe_file(path: Path) -> dict:
    """Size, content hash, format and text encoding of an input file, which
    meta.build_history keeps from build to build (a changed hash: a new export)."""
    try:
        scan = scan_file(path)
    except OSError as error:
        raise InputFileError(path, f"cannot be read ({error.strerror or error})") from error
    encoding = None if scan.file_format == "xlsx workbook" else detect_encoding(path)
    return {
        "size_bytes": scan.size_bytes,
        "sha256": scan.sha256,
        "file_format": scan.file_format,
        "encoding": encoding,
    }
