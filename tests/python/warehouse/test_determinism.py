"""Idempotent and deterministic builds: two `dbt build`s on the same inputs publish the same
content in every mart and ML table (row order aside)."""

from __future__ import annotations

from helpers import content_hashes


def test_a_second_build_over_the_first_publishes_identical_marts(synthetic_build, synthetic_rebuild):
    """Determinism and idempotence in one: the fixture's build started from nothing;
    synthetic_rebuild ran the same inputs again over a copy of its build file (tables
    replaced, raw files re-landed), with another thread count offered to the math libraries
    (conftest.py). Every mart and ML table must come out with the same content hash."""
    first = content_hashes(synthetic_build.warehouse)
    second = content_hashes(synthetic_rebuild.warehouse)
    assert len(first) >= 20, sorted(first)
    assert first.keys() == second.keys()
    differing = sorted(name for name in first if first[name] != second[name])
    assert differing == [], f"tables whose content differs between two builds on the same inputs: {differing}"
    # The two builds are two publishes: different versions, same content.
    assert synthetic_rebuild.scalar("select invocation_id from meta.warehouse_version") != synthetic_build.scalar(
        "select invocation_id from meta.warehouse_version"
    )
