"""Unit tests of the churn and customer-value logic (retail_warehouse.ml.customer_value:
labels, metrics, churn, spend, btyd, tables) on small data made here."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from retail_warehouse.ml import registry as shared_registry
from retail_warehouse.ml.customer_value import churn, history, next_order, spend, tables
from retail_warehouse.ml.customer_value.btyd import BetaGeometricNBD, GammaGamma, rfm_summary, simulate
from retail_warehouse.ml.customer_value.labels import (
    FEATURES,
    attach_features,
    out_of_time_split,
    outcome_labels,
    recent_activity_features,
    seeded_sample,
)
from retail_warehouse.ml.customer_value.metrics import (
    calibration_bins,
    classification_metrics,
    f1_best_threshold,
    paired_rmse_difference,
    regression_metrics,
)

D = pd.Timestamp


def orders_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [(key, D(day), float(amount)) for key, day, amount in rows],
        columns=["customer_key", "order_date", "net_revenue_amount"],
    )


ORDERS = orders_frame(
    [
        ("s:a", "2011-01-05", 10),
        ("s:a", "2011-02-20", 20),
        ("s:a", "2011-03-10", 30),
        ("s:b", "2011-01-20", 5),
        ("s:b", "2011-04-15", 7),
        ("s:c", "2011-02-27", 100),
    ]
)


# --- leakage -------------------------------------------------------------------------------


def test_recent_activity_reads_only_orders_before_the_cutoff():
    features = recent_activity_features(ORDERS, [D("2011-03-01")]).set_index("customer_key")
    # a: 2011-02-20 is within 30 days, 2011-01-05 is 55 days before: 1 in 30 days, 2 in 90.
    assert features.loc["s:a", "orders_last_30d"] == 1
    assert features.loc["s:a", "orders_last_90d"] == 2
    assert features.loc["s:a", "revenue_last_90d"] == 30
    # The order of a on 2011-03-10 is after the cutoff and counts nowhere.
    assert features.loc["s:c", "orders_last_30d"] == 1


def test_labels_count_only_the_orders_in_the_outcome_window():
    labels = outcome_labels(ORDERS, [D("2011-03-01")], horizon_days=30).set_index("customer_key")
    # Window [2011-03-01, 2011-03-31): a's 2011-03-10 order only; b's 2011-04-15 is outside.
    assert list(labels.index) == ["s:a"]
    assert labels.loc["s:a", "orders_next"] == 1 and labels.loc["s:a", "spend_next"] == 30


def test_training_closes_before_validation():
    # The cutoffs labelled with H = 90 and data to 2011-12-10 (customer_value_examples).
    labelled = pd.date_range("2011-01-01", "2011-09-01", freq="MS")
    split = out_of_time_split(labelled, horizon_days=90)
    assert split.validation == D("2011-09-01")
    assert max(split.training) + pd.Timedelta(days=90) <= split.validation
    assert split.training[-1] == D("2011-06-01") and split.tuning == D("2011-06-01")
    assert not out_of_time_split([], 90).is_usable
    assert not out_of_time_split([D("2011-01-01")], 90).is_usable


# --- metrics -------------------------------------------------------------------------------


def test_classification_metrics_on_a_toy_case():
    labels = [1, 1, 0, 0, 1, 0]
    probabilities = [0.9, 0.6, 0.55, 0.2, 0.3, 0.1]
    metrics = classification_metrics(labels, probabilities, threshold=0.5)
    # At 0.5: predicted positive {0.9, 0.6, 0.55}: 2 true of 3; 2 of the 3 positives found.
    assert metrics["precision"] == pytest.approx(2 / 3)
    assert metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["f1"] == pytest.approx(2 / 3)
    # Pairs (positive, negative) ranked right: 0.9 beats 3, 0.6 beats 3, 0.3 beats 2 (0.2, 0.1) -> 8/9.
    assert metrics["roc_auc"] == pytest.approx(8 / 9)
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(labels, probabilities))
    # Average precision: precision at each positive's rank (1st, 2nd, 4th): 1/1, 2/2, 3/4.
    assert metrics["pr_auc"] == pytest.approx((1 + 1 + 3 / 4) / 3)
    assert metrics["pr_auc"] == pytest.approx(average_precision_score(labels, probabilities))
    expected_brier = np.mean((np.array(probabilities) - np.array(labels)) ** 2)
    assert metrics["brier_score"] == pytest.approx(expected_brier)
    assert classification_metrics([1, 1], [0.2, 0.8], 0.5)["roc_auc"] is None


def test_the_f1_threshold_is_the_best_reachable_one():
    labels = np.array([1, 1, 0, 0, 1, 0])
    probabilities = np.array([0.9, 0.6, 0.55, 0.2, 0.3, 0.1])
    threshold = f1_best_threshold(labels, probabilities)
    best = max(classification_metrics(labels, probabilities, t)["f1"] for t in probabilities)
    assert classification_metrics(labels, probabilities, threshold)["f1"] == pytest.approx(best)
    assert f1_best_threshold([0, 0], [0.3, 0.4]) == 0.5


def test_calibration_bins_count_rows_and_rates():
    bins = calibration_bins([1, 0, 1, 1], [0.05, 0.05, 0.95, 1.0]).set_index("bin_index")
    assert list(bins.index) == [1, 10]
    assert bins.loc[1, "row_count"] == 2 and bins.loc[1, "observed_positive_rate"] == 0.5
    assert bins.loc[10, "mean_predicted_probability"] == pytest.approx(0.975)


def test_calibration_bin_means_stay_inside_their_bins_at_the_edges():
    # KNN probabilities are fractions of k: values on the edges, averaged in floats.
    probabilities = [0.7] * 6 + [0.8] * 6 + [0.3] * 3 + [0.1] * 7
    bins = calibration_bins([1] * 22, probabilities).set_index("bin_index")
    assert list(bins.index) == [2, 4, 8, 9]
    assert (bins["mean_predicted_probability"] >= bins["bin_lower"]).all()
    assert (bins["mean_predicted_probability"] <= bins["bin_upper"]).all()
    assert bins.loc[9, "mean_predicted_probability"] == pytest.approx(0.8)


def test_regression_metrics_on_a_toy_case():
    metrics = regression_metrics([0, 10, 20], [0, 13, 16])
    assert metrics["rmse"] == pytest.approx(np.sqrt((9 + 16) / 3))
    assert metrics["mae"] == pytest.approx(7 / 3)


# --- classifiers and regressors ------------------------------------------------------------


def synthetic_examples(rows: int, seed: int) -> pd.DataFrame:
    """Customers whose return depends on recency and frequency, at four monthly cutoffs."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({feature: rng.gamma(2.0, 20.0, rows) for feature in FEATURES})
    frame["frequency"] = rng.integers(1, 10, rows).astype(float)
    logit = 1.5 - 0.04 * frame["recency_days"] + 0.3 * frame["frequency"]
    frame["purchased_again"] = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame["spend_next"] = frame["purchased_again"] * (frame["monetary"] * 0.5 + rng.normal(0, 5, rows))
    frame["as_of_date"] = pd.to_datetime(rng.choice(pd.date_range("2011-01-01", periods=4, freq="MS"), rows))
    frame["customer_key"] = [f"s:{i}" for i in range(rows)]
    frame["horizon_days"] = 0
    return frame.sort_values(["as_of_date", "customer_key"]).reset_index(drop=True)


@pytest.mark.parametrize("name", churn.CLASSIFIERS)
def test_every_classifier_learns_the_signal_and_is_deterministic(name):
    examples = synthetic_examples(1200, seed=3)
    split = out_of_time_split(sorted(examples["as_of_date"].unique()), horizon_days=0)
    first = churn.validate_classifier(name, examples, split, "churn", seed=42, max_rows=10_000)
    again = churn.validate_classifier(name, examples, split, "churn", seed=42, max_rows=10_000)
    np.testing.assert_array_equal(first.probabilities, again.probabilities)
    validation = examples[examples["as_of_date"] == split.validation]
    labels = churn.positive_labels(validation, "churn")
    assert roc_auc_score(labels, first.probabilities) > 0.7
    assert 0 <= first.threshold <= 1


def test_a_single_class_is_not_fitted_and_tiny_input_does_not_crash():
    examples = synthetic_examples(5, seed=1).assign(purchased_again=True)
    assert churn.fit_classifier("lightgbm", examples, "churn", 42, 100) is None
    assert churn.positive_probability(None, examples.iloc[:0]).size == 0


def test_risk_bands_and_churn_probability():
    assert list(churn.risk_band([0.1, 0.5, 0.79, 0.8])) == ["low", "medium", "medium", "high"]
    np.testing.assert_allclose(churn.churn_probability([0.2], "repeat_purchase"), [0.8])
    np.testing.assert_allclose(churn.churn_probability([0.2], "churn"), [0.2])


def test_top_drivers_name_the_feature_that_moves_the_probability():
    examples = synthetic_examples(800, seed=5)
    model = churn.fit_classifier("logistic_regression", examples, "churn", 42, 10_000)
    drivers = churn.top_drivers(model, examples.iloc[:20], examples[list(FEATURES)].median())
    assert len(drivers) == 20
    assert sum("recency_days" in d.split(";")[0] or "frequency" in d.split(";")[0] for d in drivers) >= 15


def test_permutation_importance_ranks_the_true_features_first():
    examples = synthetic_examples(1500, seed=9)
    model = churn.fit_classifier("lightgbm", examples, "churn", 42, 10_000)
    table = churn.feature_importance(model, examples, "churn", seed=42, repeats=3)
    assert set(table.head(2)["feature_name"]) == {"recency_days", "frequency"}
    assert list(table["importance_rank"]) == list(range(1, len(FEATURES) + 1))


@pytest.mark.parametrize("name", spend.REGRESSORS)
def test_every_regressor_beats_predicting_zero(name):
    examples = synthetic_examples(1500, seed=11)
    training, validation = examples.iloc[:1000], examples.iloc[1000:]
    model = spend.fit_regressor(name, training, seed=42, max_rows=10_000)
    predicted = spend.predict_spend(model, validation)
    assert (predicted >= 0).all()
    actual = validation["spend_next"]
    assert regression_metrics(actual, predicted)["rmse"] < regression_metrics(actual, 0 * actual)["rmse"]


def test_the_past_spend_baseline_spreads_spend_over_at_least_the_horizon():
    # Methodology: the old baseline divided by days since the first order, so a one-day-old
    # customer was predicted spend x 180 (Olist: mean 624.8 against an actual 1.57).
    rows = pd.DataFrame({"monetary": [100.0, 50.0, 50.0, -5.0], "tenure_days": [360.0, 1.0, 0.0, 200.0]})
    np.testing.assert_allclose(spend.baseline_spend(rows, 180), [50.0, 50.0, 50.0, 0.0])
    # Never more than the spend to date for a customer younger than the horizon.
    assert (spend.baseline_spend(rows, 180) <= rows["monetary"].clip(lower=0)).all()


def test_the_best_baseline_is_chosen_on_an_earlier_cutoff_and_the_mean_uses_closed_windows():
    cutoffs = [D("2011-01-01"), D("2011-02-01"), D("2011-03-01")]
    # Nobody ever spends again: zero is the best baseline; the mean of the closed windows is 0.
    rows = pd.DataFrame(
        [(c, k, 100.0, 10.0, 0.0) for c in cutoffs for k in range(20)],
        columns=["as_of_date", "customer_key", "monetary", "tenure_days", "spend_next"],
    ).assign(horizon_days=31)
    assert spend.choose_baseline(rows, D("2011-03-01")) == spend.ZERO_BASELINE
    # Everyone spends 31 per 31 days: the training mean (1 a day) wins.
    assert spend.choose_baseline(rows.assign(spend_next=31.0), D("2011-03-01")) == spend.MEAN_BASELINE
    assert spend.mean_daily_spend(rows.assign(spend_next=31.0)) == pytest.approx(1.0)


def test_a_model_that_does_not_beat_the_best_baseline_is_not_served():
    rng = np.random.default_rng(0)
    actual = rng.exponential(1.0, 4000)
    noise_model = actual.mean() + rng.normal(0, 0.01, 4000)
    comparison = paired_rmse_difference(actual, noise_model, np.full(4000, actual.mean()), seed=1)
    # Indistinguishable from the mean: the interval straddles 0, so the model does not win.
    assert comparison["lower"] < 0 < comparison["upper"] or comparison["difference"] >= 0
    good = paired_rmse_difference(actual, actual + rng.normal(0, 0.1, 4000), np.zeros(4000), seed=1)
    assert good["upper"] < 0
    rows = [
        {"model_name": name, "rmse": float(np.sqrt(np.mean((p - actual) ** 2)))}
        for name, p in (("zero_baseline", np.zeros(4000)), ("ridge", noise_model))
    ]
    marked = tables._compare_with_best_baseline(
        rows, {"zero_baseline": np.zeros(4000), "ridge": noise_model}, actual, "zero_baseline", None, 1
    )
    ridge = next(row for row in marked if row["model_name"] == "ridge")
    # ridge has the lower RMSE and beats zero: it is served; against the mean it would not be.
    assert ridge["beats_best_baseline"] and ridge["is_best"] and ridge["is_lowest_rmse"]
    marked = tables._compare_with_best_baseline(
        [dict(rows[1]), {"model_name": "training_mean_baseline", "rmse": float(actual.std())}],
        {"training_mean_baseline": np.full(4000, actual.mean()), "ridge": noise_model},
        actual,
        "training_mean_baseline",
        None,
        1,
    )
    served = {row["model_name"]: row["is_best"] for row in marked}
    assert served == {"ridge": False, "training_mean_baseline": True}
    assert marked[0]["verdict"] == "no model beats training_mean_baseline: its prediction is served"


# --- BG/NBD + Gamma-Gamma ------------------------------------------------------------------

TRUE_TRANSACTIONS = BetaGeometricNBD(r=0.5, alpha=20.0, a=0.8, b=2.5)
TRUE_SPEND = GammaGamma(p=6.0, q=4.0, gamma=50.0)


def test_bgnbd_and_gamma_gamma_recover_simulated_parameters():
    customers = simulate(4000, 365.0, TRUE_TRANSACTIONS, TRUE_SPEND, seed=1)
    fitted = BetaGeometricNBD.fit(customers["frequency"], customers["recency"], customers["age"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(getattr(TRUE_TRANSACTIONS, name), rel=0.2), name
    repeaters = customers[customers["frequency"] > 0]
    spend = GammaGamma.fit(repeaters["frequency"], repeaters["repeat_mean_value"])
    true_mean = TRUE_SPEND.p * TRUE_SPEND.gamma / (TRUE_SPEND.q - 1)
    assert spend.p * spend.gamma / (spend.q - 1) == pytest.approx(true_mean, rel=0.1)
    assert spend.p == pytest.approx(TRUE_SPEND.p, rel=0.25)


def test_bgnbd_conditional_predictions_behave_as_the_model_says():
    model = TRUE_TRANSACTIONS
    expected = model.expected_purchases(365.0, 0.0, 0.0, 365.0)
    # With no repeat purchase yet P(alive) = 1, and a year of silence lowers the expected rate
    # below the unconditional r / alpha per day.
    assert model.probability_alive(0, 0, 365) == 1
    assert 0 < expected < model.r / model.alpha * 365
    # Same count, an old last purchase: less likely alive, fewer expected purchases.
    alive = model.probability_alive([5, 5], [300, 30], [365, 365])
    purchases = model.expected_purchases(90.0, [5, 5], [300, 30], [365, 365])
    assert alive[0] > alive[1] and purchases[0] > purchases[1]


def test_rfm_summary_counts_purchase_days():
    summary = rfm_summary(ORDERS, D("2011-03-15")).set_index("customer_key")
    assert summary.loc["s:a", "frequency"] == 2 and summary.loc["s:a", "recency"] == 64
    assert summary.loc["s:a", "age"] == 69 and summary.loc["s:a", "repeat_mean_value"] == 25
    assert summary.loc["s:c", "frequency"] == 0 and summary.loc["s:c", "repeat_mean_value"] == 0


# --- the dbt model tables, end to end on small stores --------------------------------------


def store_orders(customers: int, months: int, seed: int) -> pd.DataFrame:
    """fct_orders-like sale orders of one store: each customer orders at a rate of their own
    from a first order in the first half of the period."""
    rng = np.random.default_rng(seed)
    start = D("2011-01-01")
    rows = []
    for index in range(customers):
        day = float(rng.integers(0, months * 15))
        rate = rng.gamma(1.0, 1 / 40)
        while day < months * 30.4:
            rows.append((f"s:{index:04d}", start + pd.Timedelta(days=int(day)), float(rng.gamma(2.0, 30.0))))
            day += rng.exponential(1 / rate)
    orders = pd.DataFrame(rows, columns=["customer_key", "order_date", "net_revenue_amount"])
    return orders.assign(store="tiny", order_type="sale", is_cancelled=False)


def measured(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """customer_features-like measures of the orders before as_of."""
    past = orders[orders["order_date"] < as_of]
    grouped = (
        past.groupby("customer_key")
        .agg(
            first=("order_date", "min"),
            last=("order_date", "max"),
            frequency=("order_date", "size"),
            monetary=("net_revenue_amount", "sum"),
            avg_basket_amount=("net_revenue_amount", "mean"),
        )
        .reset_index()
    )
    return grouped.assign(
        store="tiny",
        customer_id=grouped["customer_key"].str[2:],
        as_of_date=as_of,
        recency_days=(as_of - grouped["last"]).dt.days,
        tenure_days=(as_of - grouped["first"]).dt.days,
        avg_basket_quantity=1.0,
        return_rate=0.0,
        mean_days_between_orders=None,
        cancellation_order_count=0,
    ).rename(columns={"first": "first_order_date", "last": "last_order_date"})


def with_scoring_state(features: pd.DataFrame, orders: pd.DataFrame, data_end) -> pd.DataFrame:
    """customer_features' scoring_ columns as the mart computes them: the state on the day after
    the data end, not scorable (with the reason) after a later sale order."""
    scoring_day = pd.Timestamp(data_end) + pd.Timedelta(days=1)
    scorable = ~features["customer_key"].isin(set(orders.loc[orders["order_date"] > data_end, "customer_key"]))
    return features.assign(
        scoring_date=scoring_day,
        is_scorable=scorable,
        scoring_recency_days=(scoring_day - features["last_order_date"]).dt.days.where(scorable),
        scoring_tenure_days=(scoring_day - features["first_order_date"]).dt.days.where(scorable),
        unscored_reason=np.where(
            scorable, None, f"sale order after the data end ({pd.Timestamp(data_end).date()}): no state as of it"
        ),
    )


def labelled_examples(snapshots, orders, horizon: int, target: str, data_end) -> pd.DataFrame:
    """ml.customer_value_examples of one store as the SQL model makes it (its dbt unit tests in
    python_models/customer_value/), built here from the library's per-cutoff features,
    outcomes and split for the Python tables that read it."""
    day_past = D(data_end) + pd.Timedelta(days=1)
    rows = snapshots[pd.to_datetime(snapshots["as_of_date"]) + pd.Timedelta(days=horizon) <= day_past]
    examples = attach_features(rows, orders)
    outcomes = outcome_labels(orders, examples["as_of_date"].unique(), horizon)
    examples = examples.merge(outcomes, on=["customer_key", "as_of_date"], how="left")
    examples["orders_next"] = examples["orders_next"].fillna(0).astype(int)
    examples["spend_next"] = examples["spend_next"].fillna(0.0)
    examples["purchased_again"] = examples["orders_next"] > 0
    split = out_of_time_split(examples["as_of_date"].unique(), horizon)
    examples["split"] = np.select(
        [examples["as_of_date"] == split.validation, examples["as_of_date"].isin(split.training)],
        ["validation", "training"],
        "refit_only",
    )
    examples["as_of_date"] = examples["as_of_date"].dt.date
    return examples.assign(
        horizon_days=horizon, target_name=target, is_positive=churn.positive_labels(examples, target)
    )


def build_tables(orders: pd.DataFrame, data_end=None, capacity=None):
    """Every table of the area on `orders`; data_end: the store's data end (default: the
    last order day); capacity: var churn_campaign_capacity (default: no limit)."""
    if orders.empty:
        snapshots = measured(orders, D("2011-01-01")).iloc[:0]
        features = snapshots
    else:
        months = pd.date_range(
            orders["order_date"].min() + pd.offsets.MonthBegin(1), orders["order_date"].max(), freq="MS"
        )
        snapshots = pd.concat([measured(orders, month) for month in months] or [measured(orders, D("2011-01-01"))])
        features = measured(orders, orders["order_date"].max() + pd.Timedelta(days=1))
    horizons, targets = {"tiny": 60}, {"tiny": "churn"}
    data_end = orders["order_date"].max() if data_end is None else data_end
    features = with_scoring_state(features, orders, data_end)
    data_ends = pd.DataFrame({"store": ["tiny"], "data_end_date": [data_end]})
    examples = labelled_examples(snapshots, orders, horizons["tiny"], targets["tiny"], data_end)
    predictions = tables.churn_validation_predictions(examples, 42, 5000)
    metrics = tables.churn_model_metrics(predictions, examples, 5000, 42)
    return {
        "examples": examples,
        "predictions": predictions,
        "metrics": metrics,
        "calibration": tables.churn_calibration(predictions),
        "importance": tables.churn_feature_importance(examples, metrics, 42, 5000),
        "scores": tables.churn_scores(features, orders, examples, metrics, data_ends, capacity, 42, 5000),
        "value_metrics": (
            value_metrics := tables.customer_value_metrics(examples, snapshots, orders, data_ends, 42, 5000)
        ),
        "next_order": (next_orders := tables.next_order_metrics(orders, examples, value_metrics, data_ends, 42)),
        "value": tables.customer_value_predictions(
            features, orders, examples, value_metrics, next_orders, data_ends, 42, 5000
        ),
        "fits": tables.customer_value_model_fits(features, orders, examples, data_ends),
        "store_value": tables.store_value_forecast(features, orders, value_metrics, data_ends, 42),
        "alive_calibration": tables.probability_alive_calibration(orders, examples),
        "features": features,
        "snapshots": snapshots,
    }


@functools.cache
def _history_store_computed() -> tuple[pd.DataFrame, dict]:
    orders = store_orders(300, months=14, seed=4)
    return orders, build_tables(orders)


def history_store_tables() -> tuple[pd.DataFrame, dict]:
    """A store with 14 months of history and every table of the area on it (build_tables, tens
    of seconds), computed once per session for the tests that read them, here and in
    test_next_order and test_value_registry; each call gets copies of its own."""
    orders, built = _history_store_computed()
    return orders.copy(), {name: table.copy() for name, table in built.items()}


@pytest.fixture
def history_store() -> tuple[pd.DataFrame, dict]:
    return history_store_tables()


@pytest.fixture(scope="module")
def store_past_its_data_end() -> tuple[pd.DataFrame, pd.Timestamp, dict]:
    """Orders going on for three months after the store's data end (a trickle the
    0.1%-quantile end of the old 12-month labels took for observed history), and the tables
    built with that data end, computed once for the tests that read them."""
    orders = store_orders(150, months=20, seed=5)
    data_end = orders["order_date"].max() - pd.Timedelta(days=90)
    return orders, data_end, build_tables(orders, data_end=data_end)


def test_a_store_with_history_gets_every_table_and_every_customer_once(history_store):
    _, built = history_store
    metrics = built["metrics"].set_index("model_name")
    assert set(metrics.index) == set(churn.CLASSIFIERS)
    assert (metrics["training_cutoff_last"] + pd.Timedelta(days=60) <= metrics["validation_cutoff"]).all()
    assert metrics["is_best"].sum() == 1
    current = sorted(built["features"]["customer_key"])
    for name in ("scores", "value"):
        assert sorted(built[name]["customer_key"]) == current, name
    assert built["scores"]["churn_probability"].between(0, 1).all()
    assert set(built["value_metrics"]["model_name"]) == {
        *spend.BASELINES,
        *spend.TRANSACTION_MODELS,
        *spend.regressors(True),
    }
    for _, group in built["value_metrics"].groupby("target_name"):
        assert group["is_best"].sum() == 1
    assert set(built["next_order"]["method_name"]) == set(next_order.METHODS)
    assert built["next_order"]["is_served"].sum() == 1
    assert set(built["fits"]["model_name"]) == {*spend.TRANSACTION_MODELS, "gamma_gamma"}
    assert len(built["store_value"]) == 1
    assert len(built["importance"]) == len(FEATURES)


@pytest.mark.parametrize("customers", [0, 1, 5])
def test_tiny_stores_give_degenerate_tables_without_crashing(customers):
    orders = store_orders(customers, months=3, seed=1) if customers else store_orders(1, 3, 1).iloc[:0]
    built = build_tables(orders)
    assert len(built["scores"]) == len(built["features"])
    assert len(built["value"]) == len(built["features"])
    assert set(built["scores"]["risk_band"]) <= {"unscored", "low", "medium", "high"}
    for name in ("metrics", "predictions", "calibration", "importance", "value_metrics", "next_order", "fits"):
        assert list(built[name].columns), name


def test_the_tables_are_deterministic(history_store):
    # The same orders in another row order give the same tables.
    orders, first = history_store
    again = build_tables(orders.sample(frac=1.0, random_state=3))
    for name in ("metrics", "scores", "value_metrics", "value", "importance", "next_order", "fits", "store_value"):
        pd.testing.assert_frame_equal(first[name], again[name], check_exact=False, rtol=1e-9)


def test_every_outcome_window_ends_by_the_store_data_end(store_past_its_data_end):
    # Orders go on for three months after the store's data end: the 365-day value and the
    # realised next orders end by the data end, marts.store_data_ends (the H-day labels: the
    # dbt unit tests of customer_value_examples).
    _, data_end, built = store_past_its_data_end
    first_day_past = data_end + pd.Timedelta(days=1)
    value_rows = built["value_metrics"][built["value_metrics"]["target_name"] == "value_next_365d"]
    assert not value_rows.empty
    latest_possible = max(
        c
        for c in pd.to_datetime(built["examples"]["as_of_date"]).unique()
        if c + pd.Timedelta(days=365) <= first_day_past
    )
    assert (pd.to_datetime(value_rows["validation_cutoff"]) == latest_possible).all()


def test_value_is_scored_as_of_the_day_after_the_data_end_and_unscored_customers_say_why(store_past_its_data_end):
    # customer_features is measured the day after the last order; the value predictions, the
    # store total and the scoring fit look from the day after the data end, as churn_scores and
    # the labels do. A customer with a sale order after the data end keeps the row, unscored,
    # with a reason, never silently empty.
    orders, data_end, built = store_past_its_data_end
    scoring_day = (data_end + pd.Timedelta(days=1)).date()
    later = set(orders.loc[orders["order_date"] > data_end, "customer_key"])
    assert later and (built["features"]["as_of_date"].dt.date > scoring_day).all()
    for name in ("scores", "value", "store_value"):
        assert set(built[name]["as_of_date"]) == {scoring_day}, name
    fits = built["fits"]
    assert set(fits.loc[fits["fit_purpose"] == "scoring", "as_of_date"]) == {scoring_day}
    for name in ("scores", "value"):
        table = built[name].set_index("customer_key")
        assert set(table.index[table["unscored_reason"].notna()]) == later, name
        assert table.loc[sorted(later), "unscored_reason"].str.contains(str(data_end.date())).all(), name
    value = built["value"].set_index("customer_key")
    scored = value.drop(index=sorted(later))
    assert value.loc[sorted(later), ["value_12m", "predicted_spend_next_h", "baseline_spend_next_h"]].isna().all().all()
    assert scored["value_12m"].notna().all() and scored["predicted_spend_next_h"].notna().all()
    # Recency and tenure recounted to the scoring day: the baseline reads tenure as of it.
    tenure = (pd.Timestamp(scoring_day) - built["features"].set_index("customer_key")["first_order_date"]).dt.days
    expected = spend.baseline_spend(
        built["features"].set_index("customer_key").loc[scored.index].assign(tenure_days=tenure), 60
    )
    np.testing.assert_allclose(scored["baseline_spend_next_h"], expected)
    store_value = built["store_value"].iloc[0]
    assert store_value["customer_count"] == len(scored)
    assert store_value["unscored_customer_count"] == len(later)


def test_one_new_customer_does_not_reshuffle_a_training_sample():
    # The classifiers and regressors are fitted on seeded_sample of the labelled rows (one per
    # customer and cutoff): a customer added at any position takes the place of at most one
    # row per cutoff; with the old positional draw most of the sample changed.
    cutoffs = pd.to_datetime(["2011-03-01", "2011-04-01"])
    rows = pd.DataFrame(
        [(f"s:{i:04d}", cutoff) for cutoff in cutoffs for i in range(0, 2000, 2)],
        columns=["customer_key", "as_of_date"],
    )
    grown = (
        pd.concat([rows, pd.DataFrame({"customer_key": "s:0999", "as_of_date": cutoffs})])
        .sort_values(["as_of_date", "customer_key"])
        .reset_index(drop=True)
    )

    def members(frame):
        return set(map(tuple, seeded_sample(frame, 300, seed=42)[["customer_key", "as_of_date"]].to_numpy()))

    before, after = members(rows), members(grown)
    assert len(before) == len(after) == 300
    assert len(before - after) <= 2 and {key for key, _ in after - before} <= {"s:0999"}
    assert members(rows) == before


def test_churn_flags_stop_at_the_campaign_capacity(history_store):
    # The F1-best threshold can flag most customers (73% of Online Retail): a campaign reaches
    # at most var churn_campaign_capacity of them, a share or a count, and flag_rule says so.
    orders, built = history_store
    best = built["metrics"][built["metrics"]["is_best"]].iloc[0]
    uncapped = built["scores"][built["scores"]["is_flagged"].notna()]
    assert uncapped["is_flagged"].sum() == round(best["flagged_share"] * len(uncapped))
    data_ends = pd.DataFrame({"store": ["tiny"], "data_end_date": [orders["order_date"].max()]})
    arguments = (built["features"], orders, built["examples"], built["metrics"], data_ends)
    for capacity, expected in ((0.05, round(0.05 * len(uncapped))), ({"tiny": 7}, 7)):
        assert expected < uncapped["is_flagged"].sum()
        scores = tables.churn_scores(*arguments, capacity, 42, 5000)
        scored = scores[scores["is_flagged"].notna()]
        assert scored["is_flagged"].sum() == expected
        assert scored["flag_rule"].str.contains("campaign capacity").all()
    # A capacity above the tuned share leaves the tuned share.
    scores = tables.churn_scores(*arguments, 1.0, 42, 5000)
    assert scores["is_flagged"].sum() == uncapped["is_flagged"].sum()
    with pytest.raises(ValueError, match="churn_campaign_capacity"):
        churn.campaign_share("ten", 100)
    with pytest.raises(ValueError, match="churn_campaign_capacity"):
        churn.campaign_share(2.5, 100)


# --- Orders read through DuckDB (issue 19: memory bounded by customers, not orders) ----------


def fct_orders_connection(orders: pd.DataFrame, data_end):
    """An in-memory DuckDB with marts.fct_orders-like rows (the store's sale orders plus
    returns, write-offs, cancelled orders, orders without a customer and another store's
    orders) and marts.store_data_ends."""
    import duckdb

    noise = orders.sample(n=120, random_state=1).reset_index(drop=True)
    kinds = np.arange(len(noise)) % 5
    noise["order_type"] = np.select([kinds == 0, kinds == 2], ["return", "write_off"], "sale")
    noise["is_cancelled"] = kinds == 1
    noise.loc[kinds == 3, "customer_key"] = None
    noise.loc[kinds == 4, "store"] = "other"
    frame = pd.concat([orders, noise], ignore_index=True)
    frame["net_revenue_amount"] = frame["net_revenue_amount"].round(4)
    connection = duckdb.connect()
    connection.register("frame", frame)
    connection.execute(
        "create table fct_orders as select store, order_type, is_cancelled, "
        "customer_key, cast(order_date as date) as order_date, "
        "cast(net_revenue_amount as decimal(18, 4)) as net_revenue_amount from frame"
    )
    connection.execute(
        "create table store_data_ends as select * from (values ('tiny', ?::date), ('other', ?::date)) "
        "as t (store, data_end_date)",
        [pd.Timestamp(data_end).date(), pd.Timestamp(data_end).date()],
    )
    return connection


def test_sale_orders_filtered_in_duckdb_are_the_sale_orders_pandas_kept():
    orders = store_orders(200, months=10, seed=7)
    connection = fct_orders_connection(orders, orders["order_date"].max())
    every_order = connection.table("fct_orders").project(tables.ORDER_COLUMNS).df()
    filtered = tables.sale_order_relation(connection.table("fct_orders")).df()
    assert len(filtered) < len(every_order)
    for store in ("tiny", "other"):
        pd.testing.assert_frame_equal(
            history.store_sale_orders(filtered, store),
            history.store_sale_orders(every_order, store),
            check_exact=True,
        )


def test_churn_scores_read_the_scoring_window_of_orders_and_score_the_same():
    # churn_scores reads the orders only for the recent-activity features on the scoring day:
    # the window of SCORING_ORDER_WINDOW_DAYS before it, filtered in DuckDB, gives the same table.
    orders = store_orders(300, months=14, seed=4)
    data_end = orders["order_date"].max() - pd.Timedelta(days=20)  # later orders: unscored customers
    connection = fct_orders_connection(orders, data_end)
    every_order = connection.table("fct_orders").project(tables.ORDER_COLUMNS).df()
    window = tables.sale_order_relation(
        connection.table("fct_orders"),
        connection.table("store_data_ends"),
        window_days=tables.SCORING_ORDER_WINDOW_DAYS,
    ).df()
    window_dates = pd.to_datetime(window["order_date"])
    assert len(window) < len(orders) / 3
    assert window_dates.max() <= data_end
    assert window_dates.min() > data_end - pd.Timedelta(days=tables.SCORING_ORDER_WINDOW_DAYS)
    # The window's first and last days are in it: the recent-activity features count them.
    assert (
        window_dates.min() == data_end - pd.Timedelta(days=tables.SCORING_ORDER_WINDOW_DAYS - 1)
        or not (
            pd.to_datetime(every_order["order_date"])
            == data_end - pd.Timedelta(days=tables.SCORING_ORDER_WINDOW_DAYS - 1)
        ).any()
    )

    tiny = orders[orders["order_date"] <= data_end]
    months = pd.date_range(tiny["order_date"].min() + pd.offsets.MonthBegin(1), data_end, freq="MS")
    snapshots = pd.concat([measured(tiny, month) for month in months])
    features = with_scoring_state(measured(orders, orders["order_date"].max() + pd.Timedelta(days=1)), orders, data_end)
    examples = labelled_examples(snapshots, tiny, 60, "churn", data_end)
    metrics = tables.churn_model_metrics(tables.churn_validation_predictions(examples, 42, 5000), examples, 5000, 42)
    data_ends = connection.table("store_data_ends").df()
    before = tables.churn_scores(features, every_order, examples, metrics, data_ends, None, 42, 5000)
    after = tables.churn_scores(features, window, examples, metrics, data_ends, None, 42, 5000)
    assert before["churn_probability"].notna().sum() > 100
    assert (before["unscored_reason"].fillna("").str.contains("after the data end")).any()
    pd.testing.assert_frame_equal(after, before, check_exact=True)


# --- The BTYD summary and the example sample in DuckDB (issue 19: bounded by customers) -----


def test_the_btyd_summary_in_duckdb_equals_the_pandas_summary():
    # The BG/NBD, MBG/NBD and Gamma-Gamma fits read one row per customer computed in DuckDB
    # (history.RelationHistory.summary) instead of the orders in pandas (btyd.rfm_summary): the
    # same customers in the same order, every column to the bit (money summed as pandas sums it).
    orders = store_orders(400, months=16, seed=11)
    # Several sale orders of a customer on one day: one purchase day, their revenue summed.
    same_day = orders.sample(n=40, random_state=3).assign(net_revenue_amount=12.34)
    orders = pd.concat([orders, same_day], ignore_index=True)
    connection = fct_orders_connection(orders, orders["order_date"].max())
    every_order = connection.table("fct_orders").project(tables.ORDER_COLUMNS).df()
    sale_orders = tables.sale_order_relation(connection.table("fct_orders"))
    for store in ("tiny", "other"):
        for cutoff in (D("2011-02-01"), D("2011-09-15"), orders["order_date"].max() + pd.Timedelta(days=1)):
            expected = rfm_summary(history.store_sale_orders(every_order, store), cutoff)
            summary = tables.duckdb_summaries(sale_orders)(store, cutoff)
            assert len(summary) == len(expected)
            if store == "tiny":
                assert (summary["frequency"] > 0).any() and (summary["repeat_mean_value"] > 0).any()
            pd.testing.assert_frame_equal(summary, expected, check_exact=True, check_dtype=True)
    # The tables fitted on it (the shared 300-customer store): the same parameters, exactly.
    orders, built = history_store_tables()
    examples, features = built["examples"], built["features"]
    connection = fct_orders_connection(orders, orders["order_date"].max())
    every_order = connection.table("fct_orders").project(tables.ORDER_COLUMNS).df()
    summary_of = tables.duckdb_summaries(tables.sale_order_relation(connection.table("fct_orders")))
    data_ends = pd.DataFrame({"store": ["tiny"], "data_end_date": [orders["order_date"].max()]})
    splits = examples[["store", "as_of_date", "split", "horizon_days", "target_name"]].drop_duplicates()
    fits = tables.customer_value_model_fits(features[["store"]].drop_duplicates(), None, splits, data_ends, summary_of)
    pandas_fits = tables.customer_value_model_fits(features, every_order, examples, data_ends)
    assert len(fits) == len(pandas_fits) > 0
    pd.testing.assert_frame_equal(fits, pandas_fits, check_exact=True)
    calibration = tables.probability_alive_calibration(None, examples, summary_of)
    pd.testing.assert_frame_equal(
        calibration, tables.probability_alive_calibration(every_order, examples), check_exact=True
    )


def test_the_sale_orders_read_in_chunks_from_duckdb_equal_the_pandas_ones(monkeypatch):
    # The registry decisions fingerprint the sale orders a transaction model is fitted on
    # (history.orders_before) read from DuckDB in chunks, memory bounded by a chunk: the same
    # rows in the same order (ties on a customer's day broken by amount) and dtypes as in pandas,
    # so the same InputStats.
    monkeypatch.setattr(history, "ORDER_CHUNK_VECTORS", 1)  # chunks of 2,048 orders
    orders = store_orders(1500, months=16, seed=11)
    same_day = orders.sample(n=300, random_state=3)
    same_day["net_revenue_amount"] = np.random.default_rng(5).gamma(2.0, 30.0, len(same_day))
    orders = pd.concat([orders, same_day], ignore_index=True)
    connection = fct_orders_connection(orders, orders["order_date"].max())
    in_pandas = history.OrderHistory(connection.table("fct_orders").project(tables.ORDER_COLUMNS).df())
    in_duckdb = tables.order_history(connection.table("fct_orders"))
    for store in ("tiny", "other"):
        for cutoff in (D("2011-02-01"), D("2011-09-15"), orders["order_date"].max() + pd.Timedelta(days=1)):
            (expected,) = in_pandas.orders_before(store, cutoff)
            chunks = list(in_duckdb.orders_before(store, cutoff))
            pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), expected, check_exact=True)
            stats = shared_registry.input_stats(chunks, "order_date")
            assert stats == shared_registry.input_stats([expected], "order_date")
            assert stats.rows == len(expected) and (stats.rows == 0 or stats.window_end < cutoff)
    tiny = list(in_duckdb.orders_before("tiny", orders["order_date"].max() + pd.Timedelta(days=1)))
    assert len(tiny) > 2


def history_connection():
    """The shared 300-customer store's orders in an in-memory DuckDB (fct_orders_connection),
    with several sale orders of a customer on one day, and one customer whose purchase days sum
    to a different double in pandas' order than exactly (0.1 + 0.2 on one day)."""
    orders, built = history_store_tables()
    same_day = orders.sample(n=60, random_state=3)
    same_day["net_revenue_amount"] = np.random.default_rng(5).gamma(2.0, 30.0, len(same_day))
    inexact = orders_frame([("s:sum", day, amount) for day in ("2011-03-01", "2011-05-02") for amount in (0.1, 0.2)])
    inexact = inexact.assign(store="tiny", order_type="sale", is_cancelled=False)
    orders = pd.concat([orders, same_day, inexact], ignore_index=True)
    return orders, built, fct_orders_connection(orders, orders["order_date"].max())


def test_the_order_history_computed_in_duckdb_equals_the_pandas_one_to_the_bit():
    # customer_value_metrics, next_order_metrics and customer_value_predictions read the orders
    # as one row per customer at a cutoff computed in DuckDB (history.RelationHistory) instead
    # of every sale order in pandas (history.OrderHistory): the same frames, exactly.
    orders, _, connection = history_connection()
    every_order = connection.table("fct_orders").project(tables.ORDER_COLUMNS).df()
    in_pandas = history.OrderHistory(every_order)
    in_duckdb = tables.order_history(connection.table("fct_orders"))
    end = orders["order_date"].max() + pd.Timedelta(days=1)
    for store in ("tiny", "other"):
        for cutoff in (D("2011-06-01"), D("2011-09-15"), end):
            for name in ("summary", "purchase_gaps"):
                pd.testing.assert_frame_equal(
                    getattr(in_duckdb, name)(store, cutoff), getattr(in_pandas, name)(store, cutoff), check_exact=True
                )
            assert in_duckdb.store_median_wait(store, cutoff) == in_pandas.store_median_wait(store, cutoff)
            cutoffs = [cutoff, cutoff - pd.Timedelta(days=45)]
            pd.testing.assert_frame_equal(
                in_duckdb.recent_activity(store, cutoffs), in_pandas.recent_activity(store, cutoffs), check_exact=True
            )
            for days in (60, 365):
                pd.testing.assert_frame_equal(
                    in_duckdb.outcomes(store, cutoff, days), in_pandas.outcomes(store, cutoff, days), check_exact=True
                )
            pd.testing.assert_series_equal(
                in_duckdb.realised_next_order(store, cutoff, end),
                in_pandas.realised_next_order(store, cutoff, end),
                check_exact=True,
            )
    # The checks read something: repeat customers, gaps, recent revenue, outcomes, next orders.
    summary = in_duckdb.summary("tiny", D("2011-09-15")).set_index("customer_key")
    assert (summary["frequency"] > 0).sum() > 50 and summary["repeat_mean_value"].gt(0).sum() > 50
    # 0.1 + 0.2 summed in pandas' order is not the double nearest 0.3: the sums are pandas' own.
    assert summary.loc["s:sum", "repeat_mean_value"] == 0.1 + 0.2 != 0.3
    assert in_duckdb.purchase_gaps("tiny", D("2011-09-15"))["median_gap_days"].notna().sum() > 50
    assert in_duckdb.recent_activity("tiny", [D("2011-09-15")])["revenue_last_90d"].gt(0).sum() > 50
    assert in_duckdb.outcomes("tiny", D("2011-06-01"), 365)["spend_next"].gt(0).sum() > 50
    assert len(in_duckdb.realised_next_order("tiny", D("2011-06-01"), end)) > 50


def test_the_value_tables_read_from_the_duckdb_history_equal_those_read_from_every_order():
    # The three models that read the whole sale-order history in pandas now read it per customer
    # from DuckDB (tables.order_history): the same tables, to the bit.
    orders, built, connection = history_connection()
    every_order = connection.table("fct_orders").project(tables.ORDER_COLUMNS).df()
    in_duckdb = tables.order_history(connection.table("fct_orders"))
    examples, snapshots, features = built["examples"], built["snapshots"], built["features"]
    data_ends = pd.DataFrame({"store": ["tiny"], "data_end_date": [orders["order_date"].max() - pd.Timedelta(days=20)]})
    value_metrics = tables.customer_value_metrics(examples, snapshots, every_order, data_ends, 42, 5000, neural=False)
    assert set(value_metrics["target_name"]) == {"spend_next_h", "value_next_365d"}
    pd.testing.assert_frame_equal(
        tables.customer_value_metrics(examples, snapshots, in_duckdb, data_ends, 42, 5000, neural=False),
        value_metrics,
        check_exact=True,
    )
    next_orders = tables.next_order_metrics(every_order, examples, value_metrics, data_ends, 42)
    assert len(next_orders) == len(next_order.METHODS)
    # next_order_metrics reads only the sample's cutoffs and split (tables.SPLIT_COLUMNS, distinct).
    splits = examples[[column.strip() for column in tables.SPLIT_COLUMNS.split(",")]].drop_duplicates()
    assert len(splits) < len(examples) / 50
    pd.testing.assert_frame_equal(
        tables.next_order_metrics(in_duckdb, splits, value_metrics, data_ends, 42), next_orders, check_exact=True
    )
    value = tables.customer_value_predictions(
        features, every_order, examples, value_metrics, next_orders, data_ends, 42, 5000
    )
    assert value["value_12m"].notna().sum() > 100 and value["expected_next_order_date"].notna().sum() > 100
    pd.testing.assert_frame_equal(
        tables.customer_value_predictions(
            features, in_duckdb, examples, value_metrics, next_orders, data_ends, 42, 5000
        ),
        value,
        check_exact=True,
    )


def examples_connection(customers: int, cutoffs: int):
    """An in-memory DuckDB with ml.customer_value_examples-like rows of two stores: every
    customer at every cutoff, the last cutoff the validation one, the first refit_only."""
    import duckdb

    dates = pd.date_range("2011-01-01", periods=cutoffs, freq="MS")
    rows = [
        (store, f"{store[0]}:{index:05d}", day, split)
        for store in ("tiny", "other")
        for index in range(customers)
        for position, day in enumerate(dates)
        for split in [("validation" if position == cutoffs - 1 else "refit_only" if position == 0 else "training")]
    ]
    frame = pd.DataFrame(rows, columns=["store", "customer_key", "as_of_date", "split"]).assign(
        horizon_days=60, target_name="churn", spend_next=1.0, purchased_again=True, is_positive=True
    )
    for feature in FEATURES:
        frame[feature] = 0.0
    connection = duckdb.connect()
    connection.register("frame", frame)
    connection.execute(
        "create table examples as select * exclude (as_of_date), as_of_date::date as as_of_date from frame"
    )
    return connection


def test_the_example_sample_is_whole_customers_drawn_in_duckdb_and_one_new_customer_moves_at_most_one():
    connection = examples_connection(customers=500, cutoffs=6)

    def sample(seed=42, fit=120, evaluation=80):
        return tables.sampled_example_relation(
            connection.table("examples"), seed=seed, max_fit_customers=fit, max_evaluation_customers=evaluation
        ).df()

    sampled = sample()
    assert list(sampled.columns) == [column.strip() for column in tables.EXAMPLE_COLUMNS.split(",")]
    for store in ("tiny", "other"):
        rows = sampled[sampled["store"] == store]
        fitting = rows[rows["split"] != "validation"]
        validation = rows[rows["split"] == "validation"]
        # At most the caps of customers, each with every one of its fitting rows (5 cutoffs).
        assert fitting["customer_key"].nunique() == 120 and len(fitting) == 120 * 5
        assert validation["customer_key"].nunique() == len(validation) == 80
    # Same seed, same rows; another seed, mostly other customers; caps above the customers: all.
    key = ["store", "customer_key", "as_of_date"]
    pd.testing.assert_frame_equal(
        sample().sort_values(key).reset_index(drop=True), sampled.sort_values(key).reset_index(drop=True)
    )
    assert (
        len(set(sample(seed=7)["customer_key"]) & set(sampled["customer_key"])) < len(set(sampled["customer_key"])) / 2
    )
    assert len(sample(fit=10_000, evaluation=10_000)) == 2 * 500 * 6
    # One new customer takes the place of at most one sampled customer per split and store.
    connection.execute(
        "insert into examples select * replace ('t:new' as customer_key) from examples where customer_key = 't:00007'"
    )
    grown = sample()
    for store in ("tiny", "other"):
        for is_validation in (True, False):

            def customers(frame, store=store, is_validation=is_validation):
                rows = frame[(frame["store"] == store) & ((frame["split"] == "validation") == is_validation)]
                return set(rows["customer_key"])

            assert len(customers(sampled) - customers(grown)) <= 1
            assert customers(grown) - customers(sampled) <= {"t:new"}
    # The counts are of the whole table, before the sample.
    counts = tables.example_counts(connection.table("examples")).set_index("store")
    assert (
        counts.loc["tiny", "training_row_count"] == 501 * 4 and counts.loc["other", "validation_customer_count"] == 500
    )


def test_churn_and_value_metrics_say_how_many_customers_they_evaluated(history_store):
    _, built = history_store
    for name in ("metrics", "value_metrics"):
        table = built[name]
        assert (table["evaluated_customer_count"] == table["row_count"]).all(), name
        assert (table["validation_customer_count"] >= table["evaluated_customer_count"]).all(), name
    examples = built["examples"]
    validation = examples[examples["split"] == "validation"]
    # Evaluated on a sample of the validation customers: the counts before it stay beside.
    kept = set(validation["customer_key"].iloc[::2])
    sampled = examples[(examples["split"] != "validation") | examples["customer_key"].isin(kept)]
    counts = tables._counts_of(examples)
    metrics = tables.churn_model_metrics(
        tables.churn_validation_predictions(sampled, 42, 5000), sampled, 5000, 42, counts=counts
    )
    assert (metrics["evaluated_customer_count"] == len(kept)).all()
    assert (metrics["validation_customer_count"] == len(validation)).all()
    assert (metrics["training_row_count"] == int((examples["split"] == "training").sum())).all()


def test_customer_value_metrics_reads_only_the_snapshot_its_12_month_value_is_evaluated_at():
    # tables.clv_snapshot_relation keeps, in DuckDB, the rows of the latest snapshot whose
    # 365-day window closes by the day after the data end: the only rows _clv_rows reads.
    import duckdb

    orders, built = history_store_tables()
    snapshots = built["snapshots"].assign(as_of_date=lambda frame: pd.to_datetime(frame["as_of_date"]))
    data_end = orders["order_date"].max() - pd.Timedelta(days=20)
    connection = duckdb.connect()
    connection.register("snapshots_frame", snapshots)
    connection.execute(
        "create table snapshots as select * replace (as_of_date::date as as_of_date) from snapshots_frame"
    )
    connection.execute("create table data_ends as select 'tiny' as store, ?::date as data_end_date", [data_end.date()])
    read = tables.clv_snapshot_relation(connection.table("snapshots"), connection.table("data_ends")).df()
    day_after_end = data_end + pd.Timedelta(days=1)
    cutoff = max(c for c in snapshots["as_of_date"].unique() if c + pd.Timedelta(days=spend.CLV_DAYS) <= day_after_end)
    expected = snapshots[snapshots["as_of_date"] == cutoff]
    assert snapshots["as_of_date"].nunique() > 3 and len(expected) > 20
    assert list(read.columns) == [column.strip() for column in tables.CUSTOMER_COLUMNS.split(",")]
    assert set(pd.to_datetime(read["as_of_date"])) == {cutoff}
    assert sorted(read["customer_key"]) == sorted(expected["customer_key"])
    # customer_value_metrics on it: the same table as on every snapshot.
    data_ends = pd.DataFrame({"store": ["tiny"], "data_end_date": [data_end]})
    examples = built["examples"]
    pd.testing.assert_frame_equal(
        tables.customer_value_metrics(examples, read, orders, data_ends, 42, 5000, neural=False),
        tables.customer_value_metrics(examples, snapshots, orders, data_ends, 42, 5000, neural=False),
        check_exact=True,
    )
