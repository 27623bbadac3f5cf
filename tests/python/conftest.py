"""Shared fixtures: dbt builds into temporary warehouses (helpers.py runs them), the reference
computation of the real files (real/reference.py), and the kind of every test marked from its
folder (unit/, warehouse/, real/)."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import (
    REAL_OLIST_DIR,
    REAL_ONLINE_RETAIL_CSV,
    REAL_ONLINE_RETAIL_XLSX,
    SHARED_DATA,
    Build,
    require_real_data,
    require_success,
    run_dbt_build,
)
from real.reference import RealReference

TESTS = Path(__file__).resolve().parent
KIND_BY_FOLDER = {"unit": "unit", "warehouse": "build", "real": "real_data"}
# The session-scoped builds of SharedBuilds, by fixture name.
SHARED_BUILDS = frozenset(
    {
        "synthetic_files",
        "synthetic_build",
        "synthetic_sql_build",
        "real_build",
        "real_csv_build",
        "no_input_build",
        "synthetic_rebuild",
    }
)
# The second build offers the math libraries another thread count than the first: every
# learner pins its own to one, so the results must not depend on the machine's cores.
OTHER_THREAD_COUNT = {name: "3" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def pytest_collection_modifyitems(config, items):
    """unit/ tests are marked unit, warehouse/ build, real/ real_data (make unit: -m unit).
    Modules whose tests need none of the shared builds run first, while those builds run in
    the background (SharedBuilds); modules with jobs of their own in the lanes (SHARED_JOBS)
    run last, while their jobs run once the builds are done; a module's tests stay together,
    in their order."""
    for item in items:
        parts = Path(item.fspath).resolve().relative_to(TESTS).parts
        kind = KIND_BY_FOLDER.get(parts[0]) if len(parts) > 1 else None
        if kind:
            item.add_marker(getattr(pytest.mark, kind))
    waiting_modules = {item.fspath for item in items if uses_shared_build(item)}
    job_modules = {item.fspath for item in items if getattr(getattr(item, "module", None), "SHARED_JOBS", None)}
    items.sort(key=lambda item: (item.fspath in waiting_modules, item.fspath in job_modules))


def make_synthetic_files(out: Path) -> Path:
    from retail_warehouse.synth import generate

    generate(out, lines=20_000, seed=7, formats=("csv", "xlsx"))
    return out


def make_synthetic_build(workdir: Path, files: Path) -> Build:
    """Every model, the neural ones included (var ml_neural): the one build of the session
    whose tests read the LSTM, GRU, item2vec and autoencoder outputs (test_determinism
    rebuilds it with them too). The other builds with ML leave them out."""
    return require_success(
        run_dbt_build(
            workdir, online_retail_path=files / "online_retail" / "online_retail.csv", olist_dir=files / "olist"
        )
    )


def make_synthetic_sql_build(workdir: Path, files: Path) -> Build:
    """The synthetic files without the ML models (var ml_enabled false), published: the first
    build of the tests that build again over it (test_build_history, test_machine_faults), each
    on a copy of it (helpers.copy_build)."""
    return require_success(
        run_dbt_build(
            workdir,
            online_retail_path=files / "online_retail" / "online_retail.csv",
            olist_dir=files / "olist",
            with_ml=False,
        )
    )


def make_synthetic_rebuild(workdir: Path, first: Build, files: Path) -> Build:
    """The same inputs as synthetic_build built again over a copy of its build file (tables
    replaced, raw files re-landed), the neural models included, with another thread count
    offered to the math libraries: test_determinism compares the two. A shared build only so
    that it runs in the background (a lane is free once the other builds are done), not in the
    test's own time."""
    (workdir / ".build").mkdir(parents=True)
    shutil.copy(first.build_file, workdir / ".build" / "warehouse.duckdb")
    return require_success(
        run_dbt_build(
            workdir,
            online_retail_path=files / "online_retail" / "online_retail.csv",
            olist_dir=files / "olist",
            extra_env=OTHER_THREAD_COUNT,
        )
    )


def make_real_build(workdir: Path) -> Build:
    """Online Retail from the workbook users receive, and the real Olist CSVs; the neural
    models are left out (var ml_neural false; their fits take minutes on the real files, BENCHMARKS.md):
    the real-data tests read the served models, baselines and detectors, and the neural
    outputs are checked on synthetic_build."""
    require_real_data()
    return require_success(
        run_dbt_build(workdir, online_retail_path=REAL_ONLINE_RETAIL_XLSX, olist_dir=REAL_OLIST_DIR, neural=False)
    )


def make_real_csv_build(workdir: Path) -> Build:
    """Online Retail from the CSV export alone (no Olist), to compare with the workbook's
    landing: the ML models are left out."""
    require_real_data()
    return require_success(run_dbt_build(workdir, online_retail_path=REAL_ONLINE_RETAIL_CSV, with_ml=False))


def make_no_input_build(workdir: Path) -> Build:
    """What `make build` does for a new user: no input given, the default synthetic data set
    generated into workdir/synthetic, every model, ML included (the neural models aside:
    synthetic_build has them). Kept whatever its outcome: the test reads it."""
    return run_dbt_build(workdir / "build", synthetic_dir=workdir / "synthetic", neural=False)


class SharedBuilds:
    """The session's shared builds, by fixture name, started in the background as soon as the
    session's first test runs, two at a time (a dbt build keeps about one core of the two
    busy): they run beside each other and beside the tests that build nothing or their own.
    Only the builds some collected test uses are started; a job waits only for jobs submitted
    before it (synthetic_build and synthetic_sql_build for synthetic_files, synthetic_rebuild
    for synthetic_build), which a
    first-in first-out pool has already started, so two lanes cannot deadlock.

    A test module may add jobs of its own after the builds: SHARED_JOBS, a dict of job name
    (the name of the module's fixture that returns the job's result) to a function of
    (SharedBuilds, tmp_path_factory), e.g. the dashboards' site builds, which would otherwise
    run in the tests' own time while the lanes are idle."""

    def __init__(self, tmp_path_factory, needed: set[str], module_jobs: dict[str, Callable] | None = None):
        # pytest creates its base temporary folder lazily and without a lock: two lanes calling
        # mktemp first would each create one and fail its "relative path" check (CI, stop 32).
        tmp_path_factory.getbasetemp()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="shared-build")
        self._futures: dict[str, Future] = {}
        self._asked = threading.Lock()
        self._jobs = jobs = {
            "synthetic_files": lambda: make_synthetic_files(tmp_path_factory.mktemp("synthetic")),
            "real_build": lambda: make_real_build(tmp_path_factory.mktemp("real_build")),
            "synthetic_build": lambda: make_synthetic_build(
                tmp_path_factory.mktemp("synthetic_build"), self.result("synthetic_files")
            ),
            "no_input_build": lambda: make_no_input_build(tmp_path_factory.mktemp("no_input_build")),
            "real_csv_build": lambda: make_real_csv_build(tmp_path_factory.mktemp("real_csv_build")),
            "synthetic_sql_build": lambda: make_synthetic_sql_build(
                tmp_path_factory.mktemp("synthetic_sql_build"), self.result("synthetic_files")
            ),
            # Last: no test waits for it before the others; it waits for synthetic_build.
            "synthetic_rebuild": lambda: make_synthetic_rebuild(
                tmp_path_factory.mktemp("synthetic_rebuild"),
                self.result("synthetic_build"),
                self.result("synthetic_files"),
            ),
        }
        if "synthetic_rebuild" in needed:
            needed = needed | {"synthetic_build"}
        if needed & {"synthetic_build", "synthetic_sql_build"}:
            needed = needed | {"synthetic_files"}
        # In the order the tests need them; synthetic_files before synthetic_build, which waits for it.
        for name, job in jobs.items():
            if name in needed:
                self._futures[name] = self._pool.submit(job)
        # After the builds, which they may wait for (their fixtures ask for those builds).
        for name, job in (module_jobs or {}).items():
            jobs[name] = functools.partial(job, self, tmp_path_factory)
            if name in needed:
                self._futures[name] = self._pool.submit(jobs[name])

    def result(self, name: str):
        """A job's result; a job not started (its fixture asked for by request.getfixturevalue,
        which the collection does not see) runs here, in the caller's thread, once."""
        with self._asked:
            future = self._futures.get(name)
            started_here = future is None
            if started_here:
                future = self._futures[name] = Future()
        if started_here:
            try:
                future.set_result(self._jobs[name]())
            except BaseException as error:  # a skip or a failure, raised to every caller
                future.set_exception(error)
        return future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def uses_shared_build(item) -> bool:
    return bool(SHARED_BUILDS & set(getattr(item, "fixturenames", ())))


@pytest.fixture(scope="session", autouse=True)
def shared_builds(request, tmp_path_factory) -> SharedBuilds:
    module_jobs = {}
    for module in dict.fromkeys(getattr(item, "module", None) for item in request.session.items):
        module_jobs.update(getattr(module, "SHARED_JOBS", {}))
    needed = set().union(*(getattr(item, "fixturenames", ()) for item in request.session.items)) & (
        SHARED_BUILDS | set(module_jobs)
    )
    builds = SharedBuilds(tmp_path_factory, needed, module_jobs)
    yield builds
    builds.close()


@pytest.fixture(scope="session")
def synthetic_files(shared_builds) -> Path:
    return shared_builds.result("synthetic_files")


@pytest.fixture(scope="session")
def synthetic_build(shared_builds) -> Build:
    return shared_builds.result("synthetic_build")


@pytest.fixture(scope="session")
def synthetic_sql_build(shared_builds) -> Build:
    return shared_builds.result("synthetic_sql_build")


@pytest.fixture(scope="session")
def synthetic_rebuild(shared_builds) -> Build:
    return shared_builds.result("synthetic_rebuild")


@pytest.fixture(scope="session")
def real_build(shared_builds) -> Build:
    return shared_builds.result("real_build")


@pytest.fixture(scope="session")
def real_csv_build(shared_builds) -> Build:
    return shared_builds.result("real_csv_build")


@pytest.fixture(scope="session")
def no_input_build(shared_builds) -> Build:
    return shared_builds.result("no_input_build")


@pytest.fixture(scope="session")
def reference() -> RealReference:
    """The real files recomputed apart from dbt, each figure once for the whole session."""
    require_real_data()
    computed = RealReference(SHARED_DATA)
    yield computed
    computed.close()
