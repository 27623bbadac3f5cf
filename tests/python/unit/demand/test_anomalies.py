"""Unit tests of the anomaly detectors (retail_warehouse.ml.demand.anomalies) on orders made
here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml.common import hash_sample_positions
from retail_warehouse.ml.demand import anomalies

SETTINGS = anomalies.DetectorSettings(contamination=0.01, svm_sample_size=500, autoencoder_sample_size=1000, seed=42)


def make_orders(n=1500, seed=5) -> pd.DataFrame:
    """Ordinary orders, plus one 80,000-unit single-line order and its cancellation."""
    rng = np.random.default_rng(seed)
    lines = rng.integers(1, 30, n)
    units = lines * rng.integers(1, 12, n)
    value = units * rng.uniform(0.5, 5, n)
    orders = pd.DataFrame(
        {
            "store": "online_retail",
            "order_key": [f"online_retail:{500000 + i}" for i in range(n)],
            "customer_key": [f"online_retail:{10000 + i % 300}" for i in range(n)],
            "order_date": pd.Timestamp("2011-06-01").date(),
            "order_type": "sale",
            "is_cancelled": False,
            "total_quantity": units,
            "gross_sales_amount": value,
            "cancellation_amount": 0.0,
            "line_count": lines,
            "distinct_product_count": lines,
        }
    )
    extremes = pd.DataFrame(
        {
            "store": "online_retail",
            "order_key": ["online_retail:581483", "online_retail:C581484"],
            "customer_key": "online_retail:16446",
            "order_date": pd.Timestamp("2011-12-09").date(),
            "order_type": ["sale", "cancellation"],
            "is_cancelled": [False, True],
            "total_quantity": [80995, -80995],
            "gross_sales_amount": [168469.6, 0.0],
            "cancellation_amount": [0.0, 168469.6],
            "line_count": 1,
            "distinct_product_count": 1,
        }
    )
    return pd.concat([orders, extremes], ignore_index=True).sort_values("order_key").reset_index(drop=True)


def test_detectors_flag_the_extreme_orders_and_explain_why():
    orders = make_orders()
    found = anomalies.entity_anomalies(orders, anomalies.order_features(orders), "order_key", SETTINGS)
    extreme = found.set_index("order_key").loc[["online_retail:581483", "online_retail:C581484"]]
    # The SVM's sample can hold an extreme order, which then sits on its boundary: two of
    # three detectors at least, IsolationForest and the autoencoder always.
    assert (extreme["method_count"] >= 2).all()
    assert extreme["is_isolation_forest_outlier"].all() and extreme["is_autoencoder_outlier"].all()
    assert extreme["reason"].str.contains("units_per_line 80,995").all()
    # The rows name the autoencoder that scored them: scikit-learn's MLP without ml_neural.
    assert (found["autoencoder_model"] == "sklearn_mlp_autoencoder").all()
    with_torch = anomalies.DetectorSettings(
        0.01, svm_sample_size=500, autoencoder_sample_size=1000, seed=42, neural=True
    )
    assert with_torch.autoencoder_model == "torch_autoencoder"
    # Each detector flags about its contamination share.
    for flag in ("is_isolation_forest_outlier", "is_one_class_svm_outlier", "is_autoencoder_outlier"):
        assert found[flag].sum() <= 0.02 * len(orders)
    assert len(found) < 0.05 * len(orders)


def test_the_torch_autoencoder_flags_planted_outliers_and_is_seeded():
    """The two planted extreme orders (80,995 units on one line and its cancellation) are
    flagged by the PyTorch autoencoder, which flags its contamination share and repeats."""
    orders = make_orders()
    settings = anomalies.DetectorSettings(0.01, svm_sample_size=500, autoencoder_sample_size=1000, seed=42, neural=True)
    scores = anomalies.detector_scores(
        anomalies.model_matrix(anomalies.order_features(orders)), orders["order_key"].to_numpy(), settings
    )
    planted = orders["order_key"].isin(["online_retail:581483", "online_retail:C581484"]).to_numpy()
    assert scores.loc[planted, "is_autoencoder_outlier"].all()
    assert scores["is_autoencoder_outlier"].sum() <= 0.02 * len(orders)
    again = anomalies.detector_scores(
        anomalies.model_matrix(anomalies.order_features(orders)), orders["order_key"].to_numpy(), settings
    )
    assert scores["autoencoder_score"].equals(again["autoencoder_score"])
    sklearn_scores = anomalies.detector_scores(
        anomalies.model_matrix(anomalies.order_features(orders)), orders["order_key"].to_numpy(), SETTINGS
    )
    assert not scores["autoencoder_score"].equals(sklearn_scores["autoencoder_score"])


@pytest.mark.parametrize("contamination", [0.01, 0.05])
def test_the_one_class_svm_flags_about_its_contamination_share(contamination):
    """The SVM is fitted on a sample and flags, among all rows, those whose score is above its
    (1 - contamination) quantile: about the contamination share, the far points among them."""
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(10, 4))
    far = 8 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    matrix = np.vstack([rng.normal(size=(2990, 4)), far])
    settings = anomalies.DetectorSettings(contamination, svm_sample_size=800, autoencoder_sample_size=500, seed=3)
    keys = [f"k{row:05d}" for row in range(len(matrix))]
    scores = anomalies.detector_scores(matrix, keys, settings)
    flagged = scores["is_one_class_svm_outlier"].to_numpy()
    assert flagged.mean() == pytest.approx(contamination, abs=0.002)
    # A far point inside the SVM's sample becomes a support vector on its boundary; every
    # other one is flagged.
    in_sample = set(hash_sample_positions(keys, settings.svm_sample_size, settings.seed))
    unseen_far = [row for row in range(len(matrix) - 10, len(matrix)) if row not in in_sample]
    assert len(unseen_far) >= 5 and flagged[unseen_far].all()


def test_detectors_are_seeded():
    orders = make_orders()
    first = anomalies.entity_anomalies(orders, anomalies.order_features(orders), "order_key", SETTINGS)
    second = anomalies.entity_anomalies(orders, anomalies.order_features(orders), "order_key", SETTINGS)
    pd.testing.assert_frame_equal(first, second)


def test_too_few_entities_give_no_rows():
    orders = make_orders(n=10)
    assert anomalies.entity_anomalies(orders, anomalies.order_features(orders), "order_key", SETTINGS).empty


def test_daily_anomalies_use_the_threshold_both_ways():
    components = pd.DataFrame(
        {
            "store": "s",
            "series_id": "orders|overall|all",
            "series_date": pd.date_range("2021-01-01", periods=3).date,
            "observed_value": [100.0, 10.0, 50.0],
            "trend_value": 50.0,
            "seasonal_value": 0.0,
            "residual_value": [50.0, -40.0, 0.0],
            "residual_score": [6.0, -5.5, 0.0],
        }
    )
    days = anomalies.daily_anomalies(components, threshold=5)
    assert list(days["residual_score"]) == [6.0, -5.5]
    assert days["reason"].iloc[0].startswith("orders|overall|all 100 above the expected 50")
    assert "below" in days["reason"].iloc[1]


def test_assemble_ranks_every_entity_type():
    orders = make_orders()
    customers = pd.DataFrame(
        {
            "store": "online_retail",
            "customer_key": [f"online_retail:{10000 + i}" for i in range(300)],
            "frequency": np.arange(300) % 7 + 1,
            "monetary": np.arange(300) * 10.0,
            "cancellation_amount": 0.0,
            "avg_basket_amount": 100.0,
            "avg_basket_quantity": 20.0,
            "distinct_product_count": np.arange(300) % 40,
            "return_rate": 0.0,
            "mean_days_between_orders": 30.0,
            "tenure_days": 200,
        }
    )
    customers.loc[0, ["monetary", "cancellation_amount", "return_rate"]] = [0.0, 77183.6, 1.0]
    components = pd.DataFrame(
        columns=[
            "store",
            "series_id",
            "series_date",
            "observed_value",
            "trend_value",
            "seasonal_value",
            "residual_value",
            "residual_score",
        ]
    )
    result = anomalies.assemble_anomalies(components, orders, customers, SETTINGS, daily_threshold=5)
    assert set(result["entity_type"]) == {"order", "customer"}
    assert not result.duplicated(["store", "entity_type", "entity_key"]).any()
    ranks = result.groupby("entity_type")["anomaly_rank"].apply(lambda r: sorted(r) == list(range(1, len(r) + 1)))
    assert ranks.all()
    assert "online_retail:10000" in set(result.loc[result["entity_type"] == "customer", "entity_key"])


def test_sampled_detectors_depend_on_the_entities_not_their_row_positions():
    """The One-Class SVM and the autoencoder are fitted on samples drawn by a hash of the
    order key: the same orders in another row order get the same scores (a sample by position
    would fit other orders and move every score)."""
    orders = make_orders()
    matrix = anomalies.model_matrix(anomalies.order_features(orders))
    keys = orders["order_key"].to_numpy()
    settings = anomalies.DetectorSettings(0.01, svm_sample_size=600, autoencoder_sample_size=500, seed=3)
    first = anomalies.detector_scores(matrix, keys, settings)
    order = np.random.default_rng(1).permutation(len(keys))
    shuffled = anomalies.detector_scores(matrix[order], keys[order], settings)
    for column in ("one_class_svm_score", "autoencoder_score"):
        np.testing.assert_allclose(shuffled[column].to_numpy(), first[column].to_numpy()[order], atol=1e-5)
