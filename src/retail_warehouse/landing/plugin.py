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
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from dbt.adapters.events.logging import AdapterLogger
from dbt_common.exceptions import DbtRuntimeError

from retail_warehouse import publish

from .dates import DateOrder, observed
from .errors import InputFileError
from .inputs import Inputs, expected_olist_names, olist_file_path, resolve_inputs, reuse_recorded_inputs
from .readers import (
    GZIP_MAGIC,
    ZIP_MAGIC,
    csv_has_data_row,
    csv_reader,
    detect_encoding,
    empty_table,
    match_columns,
    read_csv_header,
    read_online_retail,
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
    ]
)


@dataclass
class OnlineRetailLanding:
    """What landing an Online Retail file found, for raw.landing__file_loads (landed after
    the lines): the workbook sheets it skipped and the file's date order."""

    skipped_sheets: list[str] = field(default_factory=list)
    date_order: DateOrder = field(default_factory=DateOrder)


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
        self._online_retail_landings: dict[str, OnlineRetailLanding] = {}

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
            return file_loads(inputs, self._online_retail_landings)
        if table == "online_retail__invoice_lines":
            return land_online_retail(inputs, self._online_retail_landings)
        if table.startswith("olist__") and table.removeprefix("olist__") in OLIST_FILES_BY_TABLE:
            return land_olist(inputs, table.removeprefix("olist__"))
        raise InputFileError(table, "no landing rule for this source table")


def land_online_retail(inputs: Inputs, landings: dict[str, OnlineRetailLanding]):
    """The Online Retail lines; the workbook sheets skipped are said in a warning, and they and
    the file's date order (observed as the lines land) are kept in landings, by path, for
    raw.landing__file_loads."""
    if inputs.online_retail_path is None:
        logger.info("no Online Retail input given; that store is left empty")
        return empty_table(ONLINE_RETAIL_COLUMNS)
    path = inputs.online_retail_path
    logger.info(f"landing Online Retail from {path}")
    landing = landings[str(path)] = OnlineRetailLanding()
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
    return observed(result, "invoice_date", landing.date_order)


def land_olist(inputs: Inputs, table: str):
    spec = OLIST_FILES_BY_TABLE[table]
    if inputs.olist_dir is None:
        return empty_table(spec.columns)
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
            f"{inputs.olist_dir}; raw.olist__{table} is empty and the marts that need it are "
            "empty (see marts.data_quality_issues)"
        )
        return empty_table(spec.columns)
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


def file_loads(inputs: Inputs, landings: dict[str, OnlineRetailLanding] | None = None) -> pa.Table:
    """One row per expected input file: found, missing, or its store not given; with what the
    Online Retail landing found (landings, by path): the workbook sheets it skipped, the date
    order."""
    rows = [_online_retail_status(inputs, landings or {})]
    rows += [_olist_status(inputs, spec) for spec in OLIST_FILES]
    return pa.Table.from_pylist(rows, schema=FILE_LOADS_SCHEMA)


def _online_retail_status(inputs: Inputs, landings: dict[str, OnlineRetailLanding]) -> dict:
    path = inputs.online_retail_path
    if path is None:
        status, detail = "store_not_given", "no Online Retail file given (online_retail_path)"
    elif path.exists():
        status, detail = "found", None
    else:
        status, detail = "missing", "file not found"
    row = _status_row("online_retail", "online_retail__invoice_lines", path, status, True, inputs, detail)
    landing = landings.get(str(path))
    if landing is not None:
        row["date_order"] = landing.date_order.order
        if row["file_format"] == "xlsx workbook":
            row["skipped_sheets"] = landing.skipped_sheets
    return row


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
    found = status == "found"
    return {
        "store": store,
        "source_table": source_table,
        "file_path": str(path) if path is not None else None,
        "status": status,
        "is_required": is_required,
        "is_synthetic": inputs.synthetic,
        "detail": detail,
        **(describe_file(path) if found else dict.fromkeys(("size_bytes", "sha256", "file_format", "encoding"))),
        "skipped_sheets": None,
        "date_order": None,
    }


def describe_file(path: Path) -> dict:
    """Size, content hash, format and text encoding of an input file, which
    meta.build_history keeps from build to build (a changed hash: a new export)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
            digest.update(head)
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise InputFileError(path, f"cannot be read ({error.strerror or error})") from error
    if head.startswith(ZIP_MAGIC):
        file_format, encoding = "xlsx workbook", None
    else:
        file_format, encoding = ("csv.gz" if head.startswith(GZIP_MAGIC) else "csv"), detect_encoding(path)
    return {
        "size_bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
        "file_format": file_format,
        "encoding": encoding,
    }
