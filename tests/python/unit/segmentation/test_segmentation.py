"""Customer segmentation (retail_warehouse.ml.segmentation) on small known data."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from retail_warehouse.ml.segmentation.clustering import (
    SegmentationConfig,
    _choose,
    _samples,
    assign,
    find_knee,
    refit_chosen,
    select_model,
)
from retail_warehouse.ml.segmentation.features import FeatureRules, choose_features, derive_features
from retail_warehouse.ml.segmentation.profiles import name_segments
from retail_warehouse.ml.segmentation.stability import (
    UNDER_ONE_MONTH,
    cadence_reading,
    refresh_cadence,
    refresh_policy,
    rolling_ari,
    stability_frame,
)
from retail_warehouse.ml.segmentation.tables import customer_segments, segment_profiles, segmentation_model_selection

SMALL = SegmentationConfig(seed=3, kmeans_n_init=2, selection_resamples=5)


def blobs(n: int = 1500, centers: int = 4, seed: int = 0):
    centres = np.array([[0, 0, 0], [8, 0, 0], [0, 8, 0], [0, 0, 8], [8, 8, 8]], dtype=float)[:centers]
    return make_blobs(n_samples=n, centers=centres, cluster_std=0.8, random_state=seed)


def customer_frame(n: int, seed: int = 0, store: str = "online_retail") -> pd.DataFrame:
    """customer_features-like rows: three behaviour types with lognormal amounts."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    frequency = np.where(kind == 0, rng.integers(5, 30, n), np.where(kind == 1, rng.integers(2, 5, n), 1))
    recency = np.where(
        kind == 0, rng.integers(1, 30, n), np.where(kind == 1, rng.integers(30, 120, n), rng.integers(120, 370, n))
    )
    basket = rng.lognormal(np.where(kind == 0, 6.0, 4.5), 0.4)
    return pd.DataFrame(
        {
            "store": store,
            "customer_key": [f"{store}:{i:06d}" for i in range(n)],
            "customer_id": [f"{i:06d}" for i in range(n)],
            "currency_code": "GBP",
            "recency_days": recency,
            "frequency": frequency,
            "monetary": basket * frequency,
            "avg_basket_amount": basket,
            "tenure_days": recency + rng.integers(0, 300, n),
            "distinct_product_count": frequency * rng.integers(1, 10, n),
            "return_rate": np.where(rng.random(n) < 0.3, rng.random(n) * 0.2, 0.0),
            "mean_days_between_orders": np.where(frequency > 1, rng.random(n) * 60, np.nan),
            "first_order_date": pd.Timestamp("2011-01-15"),
            "scoring_date": pd.Timestamp("2011-12-09"),
            "scoring_recency_days": recency,
            "scoring_tenure_days": recency + 400,
            "is_scorable": True,
            "unscored_reason": None,
        }
    )


def test_find_knee_finds_the_bend_of_an_elbow_curve():
    assert find_knee(range(1, 11), [100, 50, 20, 15, 12, 10, 9, 8, 7, 6], "convex", "decreasing") == 3
    assert find_knee([1, 2], [5, 1], "convex", "decreasing") is None
    assert find_knee(range(5), [1, 1, 1, 1, 1], "convex", "decreasing") is None


def test_model_selection_recovers_known_blobs():
    points, truth = blobs()
    selection = select_model(points, SMALL, "test")
    chosen = next(row for row in selection.rows if row["is_chosen"])
    assert chosen["k"] == 4 and selection.knee_k == 4
    labels, _, _ = selection.chosen.predict(points)
    assert adjusted_rand_score(truth, labels) > 0.98
    kmeans_rows = [row for row in selection.rows if row["method"] == "kmeans"]
    assert [row["k"] for row in kmeans_rows] == list(range(2, 11))
    assert all(a["inertia"] > b["inertia"] for a, b in itertools.pairwise(kmeans_rows))
    assert {row["method"] for row in selection.rows} == {"kmeans", "gmm", "ward", "dbscan"}
    assert "knee of the KMeans inertia curve" in selection.reason


def test_large_stores_use_bounded_samples():
    points, truth = blobs(n=6000)
    config = SegmentationConfig(seed=1, kmeans_n_init=1, fit_sample_size=2000, pairwise_sample_size=500)
    selection = select_model(points, config, "test")
    assert {row["fit_customers"] for row in selection.rows} == {2000}
    assert {row["sample_customers"] for row in selection.rows} == {500}
    labels, _, _ = selection.chosen.predict(points, chunk_size=1000)
    assert adjusted_rand_score(truth, labels) > 0.98


def test_selection_and_assignment_are_deterministic_and_independent_of_row_order():
    frame = customer_frame(600, seed=4)
    first = segmentation_model_selection(frame, SMALL)
    again = segmentation_model_selection(frame, SMALL)
    pd.testing.assert_frame_equal(first, again)
    rfm = pd.DataFrame({"customer_key": frame["customer_key"], "rfm_segment": "Champions"})
    segments = customer_segments(frame, rfm, first, SMALL)
    shuffled = frame.sample(frac=1.0, random_state=9)
    segments_shuffled = customer_segments(shuffled, rfm, segmentation_model_selection(shuffled, SMALL), SMALL)
    pd.testing.assert_frame_equal(segments, segments_shuffled)


def test_segments_are_as_of_the_scoring_day_and_unscored_customers_say_why():
    # customer_features' recency and tenure are counted to the day after the store's last
    # order; the segmentation reads them on the scoring day (the day after the data end, the
    # mart's scoring_ columns) as churn and value do, and a customer with a sale order after the
    # data end keeps the row, without a segment, with the reason.
    frame = customer_frame(600, seed=4)
    later = frame["customer_key"].isin(frame["customer_key"].iloc[:25])
    reason = "sale order after the data end (2011-12-08): no state as of the scoring day"
    frame.loc[later, "is_scorable"] = False
    frame.loc[later, ["scoring_recency_days", "scoring_tenure_days"]] = np.nan
    frame.loc[later, "unscored_reason"] = reason
    selection = segmentation_model_selection(frame, SMALL)
    marts_day = frame.assign(recency_days=frame["recency_days"] + 70, tenure_days=frame["tenure_days"] + 70)
    pd.testing.assert_frame_equal(selection, segmentation_model_selection(marts_day, SMALL))
    rfm = pd.DataFrame({"customer_key": frame["customer_key"], "rfm_segment": "Champions"})
    segments = customer_segments(frame, rfm, selection, SMALL).set_index("customer_key")
    assert len(segments) == len(frame) and set(segments["as_of_date"]) == {pd.Timestamp("2011-12-09").date()}
    unscored = segments.loc[frame.loc[later, "customer_key"]]
    assert unscored["segment_id"].isna().all() and (unscored["unscored_reason"] == reason).all()
    scored = segments.drop(index=unscored.index)
    assert scored["segment_id"].notna().all() and scored["unscored_reason"].isna().all()
    profiles = segment_profiles(segments.reset_index(), frame, rfm)
    assert profiles["customers"].sum() == len(scored)


@pytest.mark.parametrize("customers", [0, 1, 5])
def test_tiny_stores_get_one_segment_and_a_none_model(customers):
    frame = customer_frame(customers, seed=2)
    selection = segmentation_model_selection(frame, SMALL)
    if customers == 0:
        assert selection.empty
    else:
        assert selection[["method", "k", "is_chosen"]].values.tolist() == [["none", 1, True]]
    rfm = pd.DataFrame({"customer_key": frame["customer_key"], "rfm_segment": "Lost"})
    segments = customer_segments(frame, rfm, selection, SMALL)
    assert len(segments) == customers
    assert set(segments["segment_id"]) <= {1}
    assert set(segments["segment_name"]) <= {"All customers"}
    profiles = segment_profiles(segments, frame, rfm)
    assert profiles["customers"].sum() == customers


def test_feature_rule_drops_null_constant_and_redundant_features_and_logs_skewed_ones():
    frame = customer_frame(2000, seed=5)
    frame["frequency"] = 1  # near constant, as on Olist
    frame["tenure_days"] = frame["recency_days"]  # a copy of recency for one-order customers
    frame["mean_review_score"] = np.nan
    decisions = {d.feature: d for d in choose_features(derive_features(frame), seed=42, rules=FeatureRules())}
    assert not decisions["frequency"].is_used and "near constant" in decisions["frequency"].reason
    assert not decisions["tenure_days"].is_used and "redundant with recency_days" in decisions["tenure_days"].reason
    assert not decisions["mean_review_score"].is_used and decisions["mean_review_score"].reason == "all null"
    assert not decisions["mean_days_between_orders"].is_used
    assert decisions["monetary"].is_used and decisions["monetary"].transform == "log1p"
    assert decisions["return_rate"].transform == "identity"
    frame.loc[0, "monetary"] = -50.0
    assert {d.feature: d for d in choose_features(derive_features(frame), seed=42)}[
        "monetary"
    ].transform == "signed_log1p"


def test_outliers_are_the_far_tail_of_each_segment():
    points, _ = blobs(n=2000)
    segmenter = refit_chosen(points, "kmeans", 4, SMALL)
    assigned = assign(points, segmenter, points[:, 0], ("a", "b", "c"), SMALL)
    assert sorted(assigned["segment_id"].unique()) == [1, 2, 3, 4]
    share = assigned.groupby("segment_id")["is_outlier"].mean()
    # Outliers are the distances above each segment's outlier_quantile (0.99): 1% of a segment
    # of ~500, give or take the one customer the quantile falls between.
    assert SMALL.outlier_quantile == 0.99
    assert ((share > 0.005) & (share <= 0.011)).all()
    # Segment 1 has the highest median of the value column passed as monetary.
    medians = pd.Series(points[:, 0]).groupby(assigned["segment_id"]).median()
    assert medians.is_monotonic_decreasing


def test_names_come_from_the_profile_by_rule():
    profile = pd.DataFrame(
        {
            "segment_id": [1, 2, 3],
            "median_monetary": [900.0, 300.0, 50.0],
            "median_recency_days": [10.0, 200.0, 90.0],
            "median_frequency": [6.0, 1.0, 2.0],
        }
    )
    named = name_segments(profile)
    assert named["segment_name"].tolist() == [
        "High-value repeat, active",
        "Mid-value one-time, lapsed",
        "Low-value repeat, cooling",
    ]
    twins = name_segments(profile.assign(median_recency_days=[10.0, 10.0, 10.0], median_monetary=[9.0, 9.0, 9.0]))
    assert twins["segment_name"].is_unique


def test_ari_of_identical_snapshots_is_one_and_drift_lowers_it():
    frame = customer_frame(800, seed=6)
    features = ("recency_days", "frequency", "monetary")
    transforms = ("log1p", "log1p", "log1p")
    same = pd.concat([frame.assign(as_of_date=pd.Timestamp(day)) for day in ("2011-02-01", "2011-03-01")])
    pairs = rolling_ari(same.groupby("as_of_date", sort=True), features, transforms, "kmeans", 3, SMALL)
    drift = pairs[pairs["elapsed_months"] > 0]
    assert drift["ari"].tolist() == [1.0]
    assert drift["elapsed_months"].tolist() == [1]
    # One refit-noise row (elapsed 0) per snapshot: a refit on a resample of the same customers.
    noise = pairs[pairs["elapsed_months"] == 0]
    assert len(noise) == 2 and (noise["ari"] > 0.9).all() and (noise["customers_compared"] == 800).all()
    drifted = frame.copy()
    rng = np.random.default_rng(1)
    drifted["recency_days"] = rng.permutation(drifted["recency_days"].to_numpy())
    moved = pd.concat(
        [frame.assign(as_of_date=pd.Timestamp("2011-02-01")), drifted.assign(as_of_date=pd.Timestamp("2011-05-01"))]
    )
    moved_pairs = rolling_ari(moved.groupby("as_of_date", sort=True), features, transforms, "kmeans", 3, SMALL)
    assert moved_pairs.loc[moved_pairs["elapsed_months"] > 0, "ari"].iloc[0] < 0.8


def test_cadence_is_the_first_month_below_the_threshold():
    pairs = pd.DataFrame(
        {"elapsed_months": [1, 1, 2, 3, 4], "ari": [0.95, 0.9, 0.85, 0.7, 0.9], "customers_compared": [10] * 5}
    )
    stability = stability_frame("online_retail", pairs, [0.97, 0.99], threshold=0.8)
    assert refresh_cadence(stability, 0.8) == (3, 4)
    assert refresh_cadence(stability, 0.5) == (None, 4)
    policy = refresh_policy("online_retail", stability, 0.8, "kmeans", 4)
    assert policy["clause"].tolist() == ["cadence", "what_is_rerun", "early_refit_triggers", "evidence", "downstream"]
    # Below the threshold at 3 months: replaced before it reaches that age.
    assert policy["refit_every_months"].tolist() == [2] * 5
    assert policy["first_month_below_threshold"].tolist() == [3] * 5
    assert "every 2 month" in policy["policy_text"].iloc[0]
    assert "95% interval 0.97-0.99 over 2 refits" in policy["policy_text"].iloc[3]


def _stability(noise: list[float], month_one: list[float]) -> pd.DataFrame:
    pairs = pd.DataFrame(
        {
            "elapsed_months": [0] * len(noise) + [1] * len(month_one) + [2],
            "ari": noise + month_one + [0.5],
            "customers_compared": 10,
        }
    )
    return stability_frame("olist", pairs, [0.9] * 20, threshold=0.8)


def test_cadence_is_read_against_the_refit_noise_and_the_monthly_resolution():
    """Below the threshold at the first monthly step is not a one-month cadence (it is under
    one month, not measurable with monthly snapshots), and a refit that disagrees with itself on
    unchanged customers at month 0 measures noise, not drift."""
    under = _stability([0.95, 0.97], [0.6, 0.7])
    assert cadence_reading(under, 0.8)[:2] == ("under_one_month", None)
    policy = refresh_policy("olist", under, 0.8, "kmeans", 4)
    assert UNDER_ONE_MONTH in policy["policy_text"].iloc[0]
    assert policy["refit_every_months"].isna().all() and (policy["cadence_status"] == "under_one_month").all()
    assert policy["refit_noise_ari"].iloc[0] == pytest.approx(0.96)
    noisy = _stability([0.5, 0.6], [0.6, 0.7])
    assert cadence_reading(noisy, 0.8)[:2] == ("noise_below_threshold", None)
    assert "cannot be told from refit noise" in refresh_policy("olist", noisy, 0.8, "kmeans", 4)["policy_text"].iloc[0]
    assert cadence_reading(_stability([0.99], [0.9, 0.95]), 0.8)[:2] == ("measured", 1)


def test_two_seeds_agree_on_identical_data():
    """With the default restarts, KMeans fitted with two seeds on the same customers gives the
    same partition (ARI >= 0.95); with 3 restarts these data give 0.68."""
    rng = np.random.default_rng(5)
    points = np.vstack([centre + rng.normal(0, 1, (300, 3)) for centre in rng.normal(0, 3, (12, 3))])
    labels = [refit_chosen(points, "kmeans", 5, SegmentationConfig(seed=seed)).predict(points)[0] for seed in (1, 2, 3)]
    assert min(adjusted_rand_score(labels[0], other) for other in labels[1:]) >= 0.95


def test_fit_sample_is_chosen_by_customer_key_not_position():
    """One new customer changes at most one member of the fit sample (by position, it
    reshuffled most of it)."""
    keys = np.array([f"olist:{i:06d}" for i in range(3000)], dtype=object)
    matrix = np.arange(3000, dtype=float)[:, None]
    config = SegmentationConfig(seed=42, fit_sample_size=1000, pairwise_sample_size=300)
    before = set(_samples(matrix, config, keys)[0][:, 0])
    grown = np.concatenate([[np.nan], np.arange(3000, dtype=float)])[:, None]
    after = set(_samples(grown, config, np.concatenate([["olist:000000a"], keys]).astype(object))[0][:, 0])
    assert len(before - after) <= 1 and len(after) == 1000


def test_every_method_faces_the_same_stability_gate():
    """KMeans is not exempt: when it does not reproduce itself and a stable method exists, the
    stable one is chosen; when none is stable, the most reproducible is chosen and said to be
    indicative; bootstrap runs at least 20 refits."""
    assert SegmentationConfig(seed=0).selection_resamples >= 20

    def row(method, silhouette, ari):
        return {"method": method, "silhouette": silhouette, "bootstrap_ari": ari, "passes_stability_gate": ari >= 0.8}

    config = SegmentationConfig(seed=0)
    chosen, reason = _choose([row("kmeans", 0.5, 0.55), row("gmm", 0.45, 0.9), row("ward", 0.52, 0.7)], config)
    assert chosen["method"] == "gmm" and "KMeans fails the stability gate" in reason
    chosen, reason = _choose([row("kmeans", 0.5, 0.55), row("gmm", 0.45, 0.6)], config)
    assert chosen["method"] == "gmm" and "indicative only" in reason
    chosen, _ = _choose([row("kmeans", 0.5, 0.85), row("gmm", 0.51, 0.9)], config)
    assert chosen["method"] == "kmeans"


def test_selection_rows_carry_a_bootstrap_interval():
    points, _ = blobs(n=900)
    selection = select_model(points, SMALL, "test")
    candidates = [r for r in selection.rows if r.get("passes_stability_gate") is not None]
    assert {r["method"] for r in candidates} >= {"kmeans", "gmm", "ward"}
    assert all(r["bootstrap_ari_lower"] <= r["bootstrap_ari"] <= r["bootstrap_ari_upper"] for r in candidates)
