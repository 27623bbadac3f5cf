"""Idempotent and deterministic builds: two `dbt build`s on the same inputs publish the same
content in every mart and ML table (row order aside)."""

from __future__ import annotations

import shutil

from helpers import content_hashes, require_success, run_dbt_build

# The second build offers the math libraries another thread count than the first: every
# learner pins its own to one, so the results must not depend on the machine's cores.
OTHER_THREAD_COUNT = {name: "3" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def test_a_second_build_over_the_first_publishes_identical_marts(synthetic_build, synthetic_files, tmp_path):
    """Determinism and idempotence in one: the fixture's build started from nothing; this
    one runs the same inputs again over a copy of its build file (tables replaced, raw files
    re-landed), with another thread count offered to the math libraries. Every mart and ML
    table must come out with the same content hash."""
    workdir = tmp_path / "again"
    (workdir / ".build").mkdir(parents=True)
    shutil.copy(synthetic_build.build_file, workdir / ".build" / "warehouse.duckdb")
    second_build = require_success(
        run_dbt_build(
            workdir,
            online_retail_path=synthetic_files / "online_retail" / "online_retail.csv",
            olist_dir=synthetic_files / "olist",
            extra_env=OTHER_THREAD_COUNT,
        )
    )
    first = content_hashes(synthetic_build.warehouse)
    second = content_hashes(second_build.warehouse)
    assert len(first) >= 20, sorted(first)
    assert first.keys() == second.keys()
    differing = sorted(name for name in first if first[name] != second[name])
    assert differing == [], f"tables whose content differs between two builds on the same inputs: {differing}"
    # The two builds are two publishes: different versions, same content.
    assert second_build.scalar("select invocation_id from meta.warehouse_version") != synthetic_build.scalar(
        "select invocation_id from meta.warehouse_version"
    )
