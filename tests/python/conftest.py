"""Shared fixtures: dbt builds into temporary warehouses (helpers.py runs them), the reference
computation of the real files (real/reference.py), and the kind of every test marked from its
folder (unit/, warehouse/, real/)."""

from __future__ import annotations

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


def pytest_collection_modifyitems(config, items):
    """unit/ tests are marked unit, warehouse/ build, real/ real_data (make unit: -m unit)."""
    for item in items:
        parts = Path(item.fspath).resolve().relative_to(TESTS).parts
        kind = KIND_BY_FOLDER.get(parts[0]) if len(parts) > 1 else None
        if kind:
            item.add_marker(getattr(pytest.mark, kind))


@pytest.fixture(scope="session")
def synthetic_files(tmp_path_factory) -> Path:
    from retail_warehouse.synth import generate

    out = tmp_path_factory.mktemp("synthetic")
    generate(out, lines=20_000, seed=7, formats=("csv", "xlsx"))
    return out


@pytest.fixture(scope="session")
def synthetic_build(tmp_path_factory, synthetic_files) -> Build:
    """Every model, the neural ones included (var ml_neural): the one build of the session
    whose tests read the LSTM, GRU, item2vec and autoencoder outputs (test_determinism
    rebuilds it with them too). The other builds with ML leave them out."""
    workdir = tmp_path_factory.mktemp("synthetic_build")
    return require_success(
        run_dbt_build(
            workdir,
            online_retail_path=synthetic_files / "online_retail" / "online_retail.csv",
            olist_dir=synthetic_files / "olist",
        )
    )


@pytest.fixture(scope="session")
def real_build(tmp_path_factory) -> Build:
    """Online Retail from the workbook users receive, and the real Olist CSVs; the neural
    models are left out (var ml_neural false; their fits take minutes on the real files, BENCHMARKS.md):
    the real-data tests read the served models, baselines and detectors, and the neural
    outputs are checked on synthetic_build."""
    require_real_data()
    workdir = tmp_path_factory.mktemp("real_build")
    return require_success(
        run_dbt_build(workdir, online_retail_path=REAL_ONLINE_RETAIL_XLSX, olist_dir=REAL_OLIST_DIR, neural=False)
    )


@pytest.fixture(scope="session")
def real_csv_build(tmp_path_factory) -> Build:
    """Online Retail from the CSV export alone (no Olist), to compare with the workbook's
    landing: the ML models are left out."""
    require_real_data()
    workdir = tmp_path_factory.mktemp("real_csv_build")
    return require_success(run_dbt_build(workdir, online_retail_path=REAL_ONLINE_RETAIL_CSV, with_ml=False))


@pytest.fixture(scope="session")
def reference() -> RealReference:
    """The real files recomputed apart from dbt, each figure once for the whole session."""
    require_real_data()
    computed = RealReference(SHARED_DATA)
    yield computed
    computed.close()
