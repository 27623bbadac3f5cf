"""The segmentation tables (python_models/segmentation/) of the synthetic build."""

from __future__ import annotations

import duckdb
from helpers import area_reruns_over_copies, check_segmentation_tables


def test_synthetic_build_segments_every_customer_once(synthetic_build):
    chosen = check_segmentation_tables(synthetic_build)
    assert set(chosen) == {"online_retail", "olist"}
    assert all(k >= 2 for _, k in chosen.values())


SEGMENTATION_ONLY = ("--select", "path:python_models/segmentation")
# The decisions table is replaced on every build: its build_id is the last build's.
THIS_BUILD = "select any_value(build_id) from ml_registry.segmentation_refit_decisions"
SEGMENTS = (
    "select store, customer_key, segment_id, segment_name, method, distance_to_centroid, assignment_probability, "
    "is_outlier, outlier_threshold, most_deviating_feature, deviation from ml.customer_segments order by customer_key"
)


def _query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_build_with_nothing_due_scores_with_the_registered_model(synthetic_build, tmp_path):
    """Fit on schedule, score every build: the fixture's build registered one model per store;
    the segmentation re-run over it (same inputs, not due, ARI of the sample refit 1) loads and
    scores with it, giving the same customer_segments; var ml_refit: true then refits (version 2,
    over another copy of the fixture's build). A selection does not publish, so the build copy is read."""
    first = _query(synthetic_build.warehouse, SEGMENTS)
    registered = _query(synthetic_build.warehouse, "select store, version from ml_registry.segmentation_models")
    assert sorted(registered) == [("olist", 1), ("online_retail", 1)]
    scored, refitted = area_reruns_over_copies(synthetic_build, tmp_path, SEGMENTATION_ONLY)
    log = _query(
        scored.build_file,
        "select store, action, model_version, fit_seconds from ml.model_refresh_log "
        f"where build_id = ({THIS_BUILD}) order by store",
    )
    assert [(store, action, version) for store, action, version, _ in log] == [
        ("olist", "scored", 1),
        ("online_retail", "scored", 1),
    ]
    assert all(fit is None for *_, fit in log)
    segmentation_rows = "select count(*) from ml.model_refresh_log where model_name = 'customer_segments'"
    assert _query(scored.build_file, segmentation_rows)[0][0] == 4
    assert _query(scored.build_file, SEGMENTS) == first
    # The stability study is part of a fit: kept as it was.
    stability = "select * from ml.segment_stability order by all"
    assert _query(scored.build_file, stability) == _query(synthetic_build.warehouse, stability)

    log = _query(
        refitted.build_file,
        "select store, action, reason, model_version from ml.model_refresh_log "
        f"where build_id = ({THIS_BUILD}) order by store",
    )
    assert [(store, action, version) for store, action, _, version in log] == [
        ("olist", "refitted", 2),
        ("online_retail", "refitted", 2),
    ]
    assert all("var ml_refit is true" in reason for _, _, reason, _ in log)
    # Same inputs, same seed: the refit is the same model.
    assert _query(refitted.build_file, SEGMENTS) == first
