"""The segmentation tables (python_models/segmentation/) of the synthetic build."""

from __future__ import annotations

from helpers import check_segmentation_tables


def test_synthetic_build_segments_every_customer_once(synthetic_build):
    chosen = check_segmentation_tables(synthetic_build)
    assert set(chosen) == {"online_retail", "olist"}
    assert all(k >= 2 for _, k in chosen.values())
