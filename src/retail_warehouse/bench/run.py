"""`make bench`: synthetic data at each size, then every path measured in its own process, and
one table appended to BENCHMARKS.md.

Steps per size (lines = Online Retail I lines of retail_warehouse.synth; Olist grows with it):
  floor            floor.sql, the core marts as one hand-written DuckDB script
  dbt_startup      `dbt run` selecting nothing: parse and selection (dbt's fixed cost)
  dbt_core         `dbt build` of the models and seeds the core marts need, no tests
                   (+fct_order_lines +fct_orders +customer_rfm +sales_daily): the like-for-like
                   comparison with the floor
  dbt_sql          `dbt build` with ml_enabled false: every SQL model and every data test,
                   published
  dbt_no_new_input `dbt build` (ml_enabled false) over dbt_sql's kept build copy on the same
                   files: nothing is re-landed (raw.landing__file_loads says unchanged)
  dbt_incremental  one new day appended to the same files (retail_warehouse.bench.append; the
                   files dbt_sql read are replaced by the longer ones, so the landing reads
                   only the appended tails), then `dbt build` (ml_enabled false) over
                   dbt_sql's kept build copy
  dbt_ml           `dbt build` with the ML models (only when python_models/ has some): a first
                   build, so every model is fitted
  dbt_ml_scored    `dbt build` with the ML models again over dbt_ml's kept build copy on the
                   same files: nothing is due, so the registered models are loaded and scored
  pandas           retail_warehouse.bench.pandas_path, the notebook path
and once per run: xlsx ingest of the real Online Retail workbook, fastexcel vs openpyxl.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from retail_warehouse.ml.common import RESOURCES_LOG_ENV

from .append import append_day
from .measure import Measurement, run_measured

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_XLSX = REPO_ROOT.parent / "shared" / "data" / "online_retail" / "Online Retail.xlsx"
STEPS = (
    "floor",
    "dbt_startup",
    "dbt_core",
    "dbt_sql",
    "dbt_no_new_input",
    "dbt_incremental",
    "dbt_ml",
    "dbt_ml_scored",
    "pandas",
)
CORE_SELECTION = ("+fct_order_lines", "+fct_orders", "+customer_rfm", "+sales_daily")
SQL_ONLY_VARS = "{ml_enabled: false}"
SEED = 42
ONLINE_RETAIL_CSV = Path("online_retail") / "online_retail.csv"
DBT = Path(sys.executable).parent / "dbt"


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    for suffix, factor in (("k", 1_000), ("m", 1_000_000)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * factor)
    return int(text)


def size_label(lines: int) -> str:
    if lines >= 1_000_000 and lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}M"
    if lines >= 1_000 and lines % 1_000 == 0:
        return f"{lines // 1_000}k"
    return str(lines)


def has_ml_models() -> bool:
    return any((REPO_ROOT / "python_models").rglob("*.py"))


# The steps that reuse dbt_sql's build copy and its live input files.
SQL_BUILD_READERS = {"dbt_no_new_input", "dbt_incremental"}


class Bench:
    def __init__(
        self,
        workdir: Path,
        memory_limit: str | None,
        results: list[Measurement],
        pandas_memory_cap_mb: int,
        step_timeout_seconds: float | None,
    ):
        self.step_timeout_seconds = step_timeout_seconds
        self.workdir = workdir
        self.memory_limit = memory_limit
        self.results = results
        self.pandas_memory_cap_mb = pandas_memory_cap_mb

    def record(self, measurement: Measurement) -> Measurement:
        self.results.append(measurement)
        with (self.workdir / "results.jsonl").open("a") as out:
            out.write(json.dumps(measurement.as_dict()) + "\n")
        status = "ok" if measurement.ok else f"FAILED (exit {measurement.returncode}, see {measurement.log})"
        print(
            f"[bench] {measurement.step:<16} {size_label(measurement.lines) if measurement.lines else '':>5} "
            f"wall {measurement.wall_seconds:>8.1f} s  cpu {measurement.cpu_seconds:>8.1f} s  "
            f"peak {measurement.peak_rss_mb:>8.0f} MB  {status}",
            flush=True,
        )
        return measurement

    def python(self, *args: str) -> list[str]:
        return [sys.executable, "-m", *args]

    def dbt_env(self, build_dir: Path, data: Path) -> dict[str, str]:
        env = {
            **os.environ,
            "RETAIL_WAREHOUSE": str(build_dir / "warehouse.duckdb"),
            "ONLINE_RETAIL_PATH": str(data / ONLINE_RETAIL_CSV),
            "OLIST_DIR": str(data / "olist"),
            "DBT_TARGET_PATH": str(build_dir / "target"),
            "DBT_LOG_PATH": str(build_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        if self.memory_limit:
            env["RETAIL_WAREHOUSE_MEMORY_LIMIT"] = self.memory_limit
        return env

    def dbt_step(self, step: str, args: list[str], lines: int, build: Path, data: Path, note: str = "") -> Measurement:
        """A measured dbt command; its run_results.json (per-model timing) and the resource
        record of each ML model (ml.common.measured_model: duration, peak RSS) are kept beside
        the log."""
        label = size_label(lines)
        resources = self.workdir / "logs" / f"{step}-{label}-model_resources.jsonl"
        resources.unlink(missing_ok=True)
        env = {**self.dbt_env(build, data), RESOURCES_LOG_ENV: str(resources)}
        measurement = self.record(
            run_measured(
                step,
                [str(DBT), *args],
                self.workdir / "logs" / f"{step}-{label}.log",
                lines=lines,
                env=env,
                cwd=REPO_ROOT,
                note=note,
                timeout_seconds=self.step_timeout_seconds,
            )
        )
        run_results = build / "target" / "run_results.json"
        if run_results.is_file():
            shutil.copyfile(run_results, self.workdir / "logs" / f"{step}-{label}-run_results.json")
        return measurement

    def fresh(self, path: Path) -> Path:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def data_for(self, lines: int) -> Path:
        """The synthetic set of this size, generated once and kept in the work folder."""
        data = self.workdir / f"data-{size_label(lines)}"
        manifest = data / "synth_manifest.json"
        if manifest.is_file() and json.loads(manifest.read_text()).get("lines") == lines:
            return data
        self.fresh(data)
        self.record(
            run_measured(
                "synth",
                self.python(
                    "retail_warehouse.synth",
                    "--lines",
                    str(lines),
                    "--seed",
                    str(SEED),
                    "--out",
                    str(data),
                    "--formats",
                    "csv",
                ),
                self.workdir / "logs" / f"synth-{size_label(lines)}.log",
                lines=lines,
                note="data generation (not a path being compared)",
            )
        )
        return data

    def run_size(self, lines: int, steps: tuple[str, ...]) -> None:
        """The steps in the order given (dbt_no_new_input and dbt_incremental need dbt_sql's
        build copy: run them after)."""
        data = self.data_for(lines)
        for done, step in enumerate(steps, start=1):
            getattr(self, step)(lines, data)
            if not SQL_BUILD_READERS & set(steps[done:]):
                # At 10M the SQL build and its published copy take about 36 GB: kept beside
                # the ML build they filled the disk (run of 2026-12-07 23:06).
                self.drop_sql_build(lines)
        shutil.rmtree(self.ml_build(lines), ignore_errors=True)

    def drop_sql_build(self, lines: int) -> None:
        shutil.rmtree(self.sql_build(lines), ignore_errors=True)
        shutil.rmtree(self.live_data(lines), ignore_errors=True)

    def floor(self, lines: int, data: Path) -> None:
        label = size_label(lines)
        database = self.workdir / f"floor-{label}.duckdb"
        database.unlink(missing_ok=True)
        args = self.python(
            "retail_warehouse.bench.floor",
            "--online-retail",
            str(data / ONLINE_RETAIL_CSV),
            "--olist-dir",
            str(data / "olist"),
            "--database",
            str(database),
        )
        if self.memory_limit:
            args += ["--memory-limit", self.memory_limit]
        self.record(
            run_measured(
                "floor",
                args,
                self.workdir / "logs" / f"floor-{label}.log",
                lines=lines,
                timeout_seconds=self.step_timeout_seconds,
            )
        )
        database.unlink(missing_ok=True)

    def dbt_startup(self, lines: int, data: Path) -> None:
        build = self.fresh(self.workdir / f"dbt-startup-{size_label(lines)}")
        self.dbt_step(
            "dbt_startup",
            ["run", "--select", "bench_selects_no_node", "--vars", SQL_ONLY_VARS],
            lines,
            build,
            data,
            note="dbt parse and selection, no node run",
        )
        shutil.rmtree(build, ignore_errors=True)

    def dbt_core(self, lines: int, data: Path) -> None:
        build = self.fresh(self.workdir / f"dbt-core-{size_label(lines)}")
        self.dbt_step(
            "dbt_core",
            [
                "build",
                "--select",
                *CORE_SELECTION,
                "--resource-type",
                "model",
                "--resource-type",
                "seed",
                "--vars",
                SQL_ONLY_VARS,
            ],
            lines,
            build,
            data,
            note="the models (and seeds) the floor's marts need, no tests",
        )
        shutil.rmtree(build, ignore_errors=True)

    def sql_build(self, lines: int) -> Path:
        return self.workdir / f"dbt-sql-{size_label(lines)}"

    def ml_build(self, lines: int) -> Path:
        return self.workdir / f"dbt-ml-{size_label(lines)}"

    def live_data(self, lines: int) -> Path:
        """The input files dbt_sql, dbt_no_new_input and dbt_incremental read: hard links to
        the synthetic set, replaced (never written through) when a day is appended."""
        return self.workdir / f"data-{size_label(lines)}-live"

    def dbt_sql(self, lines: int, data: Path) -> None:
        build = self.fresh(self.sql_build(lines))
        live = self.live_data(lines)
        shutil.rmtree(live, ignore_errors=True)
        shutil.copytree(data, live, copy_function=os.link)
        self.dbt_step(
            "dbt_sql",
            ["build", "--vars", SQL_ONLY_VARS],
            lines,
            build,
            live,
            note="dbt build, ML off: all SQL models and data tests",
        )

    def dbt_no_new_input(self, lines: int, data: Path) -> None:
        build = self.sql_build(lines)
        if not (build / ".build").is_dir():
            print("[bench] dbt_no_new_input skipped: it needs dbt_sql's build copy (list dbt_sql first)", flush=True)
            return
        self.dbt_step(
            "dbt_no_new_input",
            ["build", "--vars", SQL_ONLY_VARS],
            lines,
            build,
            self.live_data(lines),
            note="the same files again: nothing re-landed",
        )

    def dbt_incremental(self, lines: int, data: Path) -> None:
        build = self.sql_build(lines)
        if not (build / ".build").is_dir():
            print("[bench] dbt_incremental skipped: it needs dbt_sql's build copy (list dbt_sql first)", flush=True)
            return
        label = size_label(lines)
        live = self.live_data(lines)
        appended = self.workdir / f"data-{label}-next-day"
        shutil.rmtree(appended, ignore_errors=True)
        added = append_day(live, appended)
        # The longer files take the place of those dbt_sql read (the landing then reads only
        # their tails); the synthetic set the links point to is left as it was.
        for path in appended.rglob("*"):
            target = live / path.relative_to(appended)
            if path.is_file() and not (target.exists() and path.samefile(target)):
                os.replace(path, target)
        self.dbt_step(
            "dbt_incremental",
            ["build", "--vars", SQL_ONLY_VARS],
            lines,
            build,
            live,
            note=f"one day appended ({added['online_retail']:,} Online Retail lines, "
            f"{added['olist']:,} Olist rows), incremental dbt build",
        )
        shutil.rmtree(appended, ignore_errors=True)

    def dbt_ml(self, lines: int, data: Path) -> None:
        if not has_ml_models():
            print("[bench] dbt_ml skipped: no ML models (python_models/**/*.py) in this checkout", flush=True)
            return
        build = self.fresh(self.ml_build(lines))
        self.dbt_step("dbt_ml", ["build"], lines, build, data, note="dbt build with the ML models, every model fitted")

    def dbt_ml_scored(self, lines: int, data: Path) -> None:
        build = self.ml_build(lines)
        fitted = [m for m in self.results if m.step == "dbt_ml" and m.lines == lines]
        if not (fitted and fitted[-1].ok):
            print("[bench] dbt_ml_scored skipped: it needs a completed dbt_ml build (list dbt_ml first)", flush=True)
            return
        self.dbt_step(
            "dbt_ml_scored",
            ["build"],
            lines,
            build,
            data,
            note="the same files again with the ML models: nothing due, registered models scored",
        )

    def pandas(self, lines: int, data: Path) -> None:
        log = self.workdir / "logs" / f"pandas-{size_label(lines)}.log"
        measurement = run_measured(
            "pandas",
            self.python(
                "retail_warehouse.bench.pandas_path",
                "--online-retail",
                str(data / ONLINE_RETAIL_CSV),
                "--olist-dir",
                str(data / "olist"),
            ),
            log,
            lines=lines,
            memory_cap_mb=self.pandas_memory_cap_mb,
            timeout_seconds=self.step_timeout_seconds,
        )
        if not measurement.ok and "MemoryError" in log.read_text(errors="replace"):
            measurement.note = f"ran out of its {self.pandas_memory_cap_mb:,} MB address-space cap (MemoryError)"
        self.record(measurement)

    def run_xlsx(self, path: Path) -> None:
        if not path.is_file():
            print(f"[bench] xlsx ingest skipped: {path} not found", flush=True)
            return
        for reader in ("fastexcel", "openpyxl"):
            self.record(
                run_measured(
                    f"xlsx_{reader}",
                    self.python("retail_warehouse.bench.xlsx_ingest", "--reader", reader, str(path)),
                    self.workdir / "logs" / f"xlsx_{reader}.log",
                    note=str(path.name),
                )
            )


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "pyarrow", "fastexcel", "openpyxl"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def machine() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = memory_mb() / 1024
    return {
        "system": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{memory_gb:.0f} GB",
    }


def memory_mb() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024**2


def default_pandas_memory_cap_mb() -> int:
    return int(memory_mb() * 0.8)


def git_commit() -> str:
    completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    return (completed.stdout.strip() or "unknown") + (" (uncommitted changes)" if dirty.strip() else "")


def ratio(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return "n/a"
    return f"{numerator / denominator:.2f}"


def report(results: list[Measurement], started: datetime, commit: str, loads: tuple, note: str) -> str:
    """The markdown section appended to BENCHMARKS.md for this run."""
    lines = [
        f"## Run of {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Commit {commit} at the start; machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()),
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        f"- Load average (1 min) at start {loads[0]:.1f}, at end {loads[1]:.1f}" + (f"; {note}" if note else ""),
        "",
        "| lines | step | wall s | CPU s | peak RSS MB | exit | note |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for m in results:
        label = size_label(m.lines) if m.lines else ""
        lines.append(
            f"| {label} | {m.step} | {m.wall_seconds:.1f} | {m.cpu_seconds:.1f} | {m.peak_rss_mb:.0f} | "
            f"{m.returncode} | {m.note} |"
        )
    by_size: dict[int, dict[str, Measurement]] = {}
    for m in results:
        if m.lines and m.ok:
            by_size.setdefault(m.lines, {})[m.step] = m
    if by_size:
        lines += [
            "",
            "Ratios (wall time; CPU time in brackets). Targets: dbt SQL layers <= 1.3x the floor after dbt's "
            "fixed start-up and the whole SQL build <= 3.0x the floor at 10M lines; pandas >= 5x dbt; "
            "an appended day <= 0.10x and no new input <= 0.05x a full SQL build.",
            "",
            "| lines | dbt_core / floor | (dbt_core - dbt_startup) / floor | dbt_sql / floor | pandas / dbt_core "
            "| pandas / dbt_sql | dbt_incremental / dbt_sql |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for size, steps in sorted(by_size.items()):

            def both(a: str, b: str, minus: str | None = None, steps: dict = steps) -> str:
                if a not in steps or b not in steps or (minus and minus not in steps):
                    return "n/a"
                wall = steps[a].wall_seconds - (steps[minus].wall_seconds if minus else 0)
                cpu = steps[a].cpu_seconds - (steps[minus].cpu_seconds if minus else 0)
                return f"{ratio(wall, steps[b].wall_seconds)} ({ratio(cpu, steps[b].cpu_seconds)})"

            lines.append(
                f"| {size_label(size)} | {both('dbt_core', 'floor')} | {both('dbt_core', 'floor', 'dbt_startup')} | "
                f"{both('dbt_sql', 'floor')} | {both('pandas', 'dbt_core')} | {both('pandas', 'dbt_sql')} | "
                f"{both('dbt_incremental', 'dbt_sql')} |"
            )
    lines += target_lines(results)
    xlsx = {m.step: m for m in results if m.step.startswith("xlsx_") and m.ok}
    if len(xlsx) == 2:
        lines += [
            "",
            f"xlsx ingest: openpyxl / fastexcel = {ratio(xlsx['xlsx_openpyxl'].wall_seconds, xlsx['xlsx_fastexcel'].wall_seconds)} "
            f"(wall, target >= 10), peak RSS {xlsx['xlsx_openpyxl'].peak_rss_mb:.0f} MB vs {xlsx['xlsx_fastexcel'].peak_rss_mb:.0f} MB.",
        ]
    return "\n".join(lines) + "\n"


# The targets, each checked at every size this run measured (the size it is set for
# in the first column): (size, target, what is measured, function of the steps -> (value, met),
# met None when there is no ratio to judge, e.g. pandas ran out of memory).
TEN_M, HUNDRED_M = 10_000_000, 100_000_000


def _sql_layers_over_floor(steps: dict[str, Measurement]) -> tuple[str, bool | None] | None:
    if not {"dbt_core", "dbt_startup", "floor"} <= steps.keys():
        return None
    core, startup, floor = steps["dbt_core"], steps["dbt_startup"], steps["floor"]
    if not core.ok:
        return f"dbt_core failed (exit {core.returncode})", False
    wall = (core.wall_seconds - startup.wall_seconds) / floor.wall_seconds
    cpu = (core.cpu_seconds - startup.cpu_seconds) / floor.cpu_seconds
    return f"{wall:.2f} wall, {cpu:.2f} CPU", max(wall, cpu) <= 1.3


def _pandas_over_dbt(steps: dict[str, Measurement]) -> tuple[str, bool | None] | None:
    if "dbt_core" not in steps or "pandas" not in steps:
        return None
    if not steps["pandas"].ok:
        return f"pandas did not finish ({steps['pandas'].note or 'exit ' + str(steps['pandas'].returncode)})", None
    value = steps["pandas"].wall_seconds / steps["dbt_core"].wall_seconds
    return f"{value:.2f}", value >= 5


def _sql_build_over_floor(steps: dict[str, Measurement]) -> tuple[str, bool | None] | None:
    if not {"dbt_sql", "floor"} <= steps.keys():
        return None
    sql, floor = steps["dbt_sql"], steps["floor"]
    if not sql.ok:
        return f"dbt_sql failed (exit {sql.returncode})", False
    wall, cpu = sql.wall_seconds / floor.wall_seconds, sql.cpu_seconds / floor.cpu_seconds
    return f"{wall:.2f} wall, {cpu:.2f} CPU", sql.ok and max(wall, cpu) <= 3.0


def _ml_scored(steps: dict[str, Measurement]) -> tuple[str, str | bool] | None:
    """No target of its own: the scoring-only build is reported beside the full one."""
    if "dbt_ml_scored" not in steps:
        return None
    scored = steps["dbt_ml_scored"]
    value = f"{scored.wall_seconds / 60:.1f} min, {scored.peak_rss_mb / 1024:.1f} GB"
    if "dbt_ml" in steps and steps["dbt_ml"].ok:
        value += f" ({scored.wall_seconds / steps['dbt_ml'].wall_seconds:.2f}x the full build with ML)"
    return value, "reported (no target of its own)" if scored.ok else False


def _ml_build(steps: dict[str, Measurement]) -> tuple[str, bool] | None:
    if "dbt_ml" not in steps:
        return None
    ml = steps["dbt_ml"]
    value = f"{ml.wall_seconds / 60:.1f} min, {ml.peak_rss_mb / 1024:.1f} GB"
    if not ml.ok:
        value = f"did not complete (exit {ml.returncode}{': ' + ml.note if ml.note else ''}) after {value}"
    return value, ml.ok and ml.wall_seconds <= 600 and ml.peak_rss_mb <= 6 * 1024


def _out_of_core(steps: dict[str, Measurement]) -> tuple[str, bool] | None:
    if "dbt_sql" not in steps:
        return None
    sql = steps["dbt_sql"]
    return (
        f"{'completed' if sql.ok else 'failed'}, {sql.peak_rss_mb / 1024:.1f} GB",
        sql.ok and sql.peak_rss_mb < 16 * 1024,
    )


def _incremental_share(steps: dict[str, Measurement]) -> tuple[str, bool] | None:
    if "dbt_incremental" not in steps or "dbt_sql" not in steps:
        return None
    value = steps["dbt_incremental"].wall_seconds / steps["dbt_sql"].wall_seconds
    return f"{value:.2f}", steps["dbt_incremental"].ok and value <= 0.10


def _no_new_input_share(steps: dict[str, Measurement]) -> tuple[str, bool] | None:
    if "dbt_no_new_input" not in steps or "dbt_sql" not in steps:
        return None
    value = steps["dbt_no_new_input"].wall_seconds / steps["dbt_sql"].wall_seconds
    return f"{value:.2f}", steps["dbt_no_new_input"].ok and value <= 0.05


TARGETS = (
    (
        None,
        "SQL layers <= 1.3x the floor after dbt's start-up",
        "(dbt_core - dbt_startup) / floor",
        _sql_layers_over_floor,
    ),
    (TEN_M, ">= 5x faster than pandas", "pandas / dbt_core, wall", _pandas_over_dbt),
    (TEN_M, "whole SQL build <= 3.0x the floor", "dbt_sql / floor", _sql_build_over_floor),
    (TEN_M, "full build with ML <= 10 min, peak RSS <= 6 GB", "dbt_ml wall, peak RSS", _ml_build),
    (TEN_M, "scoring-only build with ML (nothing due), beside it", "dbt_ml_scored wall, peak RSS", _ml_scored),
    (HUNDRED_M, "SQL layers complete out of core under 16 GB", "dbt_sql outcome, peak RSS", _out_of_core),
    (TEN_M, "appending a day <= 10% of a full build", "dbt_incremental / dbt_sql, wall", _incremental_share),
    (TEN_M, "a build with no new input <= 5% of a full build", "dbt_no_new_input / dbt_sql, wall", _no_new_input_share),
)


def target_lines(results: list[Measurement]) -> list[str]:
    """The targets table: each target at every size measured, met or missed."""
    by_size: dict[int, dict[str, Measurement]] = {}
    for m in results:
        if m.lines:
            by_size.setdefault(m.lines, {})[m.step] = m
    rows = []
    for target_size, target, measured, evaluate in TARGETS:
        for size, steps in sorted(by_size.items()):
            outcome = evaluate(steps)
            if outcome is None:
                continue
            value, met = outcome
            verdict = met if isinstance(met, str) else "no ratio" if met is None else "met" if met else "missed"
            if target_size is not None and size != target_size:
                verdict = f"({verdict} at this size; the target is for {size_label(target_size)})"
            rows.append(f"| {target} | {size_label(size)} | {measured} | {value} | {verdict} |")
    if not rows:
        return []
    return [
        "",
        "Targets of the issue, checked on this run's measurements:",
        "",
        "| target | lines | measured as | value | verdict |",
        "|---|---:|---|---|---|",
        *rows,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_warehouse.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="100k 1M 10M", help="Online Retail lines per size, e.g. '100k 1M 10M 100M'")
    parser.add_argument(
        "--steps", default=",".join(STEPS), help=f"comma-separated steps, run in this order (default {','.join(STEPS)})"
    )
    parser.add_argument("--workdir", type=Path, default=REPO_ROOT / "bench_work", help="data, builds and logs")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "BENCHMARKS.md", help="markdown file to append to")
    parser.add_argument("--xlsx", type=Path, default=DEFAULT_XLSX, help="Online Retail workbook for the ingest race")
    parser.add_argument("--no-xlsx", action="store_true", help="skip the xlsx ingest comparison")
    parser.add_argument(
        "--memory-limit",
        default=os.environ.get("RETAIL_WAREHOUSE_MEMORY_LIMIT") or None,
        help="DuckDB memory_limit for the floor and dbt (e.g. 16GB; needed out of core at 100M)",
    )
    parser.add_argument(
        "--pandas-memory-cap-mb",
        type=int,
        default=default_pandas_memory_cap_mb(),
        help="address-space cap of the pandas step (default 80%% of RAM), so it fails "
        "with MemoryError rather than the machine swapping or the OOM killer striking",
    )
    parser.add_argument(
        "--step-timeout-minutes",
        type=float,
        default=None,
        help="stop a step that runs longer (reported as unfinished); default no limit",
    )
    parser.add_argument("--note", default="", help="free text for the report, e.g. 'shared, busy machine'")
    args = parser.parse_args(argv)
    steps = tuple(step.strip() for step in args.steps.split(",") if step.strip())
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps {sorted(unknown)}; choose from {STEPS}")
    sizes = [parse_size(text) for text in args.sizes.replace(",", " ").split()]

    args.workdir = args.workdir.resolve()  # dbt runs from the repo root
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    commit = git_commit()
    load_at_start = os.getloadavg()[0]
    results: list[Measurement] = []
    bench = Bench(
        args.workdir,
        args.memory_limit,
        results,
        args.pandas_memory_cap_mb,
        args.step_timeout_minutes * 60 if args.step_timeout_minutes else None,
    )
    note = args.note
    try:
        if not args.no_xlsx:
            bench.run_xlsx(args.xlsx)
        for lines in sizes:
            bench.run_size(lines, steps)
    except KeyboardInterrupt:
        # Interrupted (Ctrl-C): the steps measured so far still go into the report.
        note = "; ".join(filter(None, [note, "interrupted: only the steps listed were measured"]))
    section = report(results, started, commit, (load_at_start, os.getloadavg()[0]), note)
    if not args.results.exists():
        args.results.write_text("# Benchmarks\n\nAppended by `make bench` (see README.md).\n\n")
    with args.results.open("a") as out:
        out.write("\n" + section)
    print(section)
    print(f"[bench] appended to {args.results} ({time.strftime('%H:%M:%S')})")
    return 0 if all(m.ok for m in results) else 1
