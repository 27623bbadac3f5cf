"""Fit on schedule, score every build for the anomaly detectors
(retail_warehouse.ml.demand.registry, the shared retail_warehouse.ml.registry): the registered
detectors score exactly as the in-place fit did, a build with nothing due scores, and the
cadence, ml_refit, a corrupt or foreign pickle, changed settings and the PSI of the newest
orders refit with their reason, never an error."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.demand import anomalies, registry

FITTED = datetime(2026, 1, 1, 12, 0)
SETTINGS = anomalies.DetectorSettings(contamination=0.01, svm_sample_size=500, autoencoder_sample_size=800, seed=42)
STORE = "online_retail"


def make_orders(n=1200, seed=5, start="2011-01-01", days=180, key_offset=0, scale=1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lines = rng.integers(1, 30, n)
    units = (lines * rng.integers(1, 12, n) * scale).astype(int)
    return pd.DataFrame(
        {
            "store": STORE,
            "order_key": [f"{STORE}:{500000 + key_offset + i}" for i in range(n)],
            "customer_key": [f"{STORE}:{10000 + i % 300}" for i in range(n)],
            "order_date": (pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days, n), unit="D")).date,
            "order_type": "sale",
            "is_cancelled": False,
            "total_quantity": units,
            "gross_sales_amount": units * rng.uniform(0.5, 5, n),
            "cancellation_amount": 0.0,
            "line_count": lines,
            "distinct_product_count": lines,
        }
    )


def make_customers(n=300) -> pd.DataFrame:
    customers = pd.DataFrame(
        {
            "store": STORE,
            "customer_key": [f"{STORE}:{10000 + i}" for i in range(n)],
            "frequency": np.arange(n) % 7 + 1,
            "monetary": np.arange(n) * 10.0,
            "cancellation_amount": 0.0,
            "avg_basket_amount": 100.0 + np.arange(n) % 13,
            "avg_basket_quantity": 20.0 + np.arange(n) % 5,
            "distinct_product_count": np.arange(n) % 40,
            "return_rate": 0.0,
            "mean_days_between_orders": 30.0,
            "tenure_days": 200 + np.arange(n) % 50,
        }
    )
    customers.loc[0, ["monetary", "cancellation_amount", "return_rate"]] = [0.0, 77183.6, 1.0]
    return customers


NO_DAYS = pd.DataFrame(
    columns=["store", "series_id", "series_date", "observed_value", "trend_value", "seasonal_value", "residual_score"]
)


def _register(orders, customers, previous=None, now=FITTED, force=False, settings=SETTINGS, full=False):
    previous = previous if previous is not None else pd.DataFrame()
    inputs = registry.store_inputs(orders, customers)
    decided = registry.decisions(
        inputs,
        previous,
        settings=settings,
        cadence_days=30,
        psi_threshold=0.25,
        force=force,
        now=now,
        build_id=f"build-{now:%d%H}",
    )
    versions = previous.groupby(["store", "model_name"])["version"].max().to_dict() if len(previous) else {}
    fitted = registry.fit_registered(inputs, decided, versions, settings=settings, refit_everything=full)
    rows = pd.concat([frame for frame in (previous, fitted) if len(frame)], ignore_index=True)
    return decided.set_index("model_name"), fitted, rows


def _scored(orders, customers, rows):
    return registry.score(NO_DAYS, orders, customers, rows, daily_threshold=5, settings=SETTINGS)


@pytest.fixture(scope="module")
def first():
    orders, customers = make_orders(), make_customers()
    decided, fitted, rows = _register(orders, customers)
    return {"orders": orders, "customers": customers, "decided": decided, "fitted": fitted, "rows": rows}


def test_a_first_build_registers_both_detector_models_with_their_metadata(first):
    decided, fitted = first["decided"], first["fitted"]
    assert set(decided.index) == {"order_anomaly_detectors", "customer_anomaly_detectors"}
    assert (decided["action"] == "refit").all() and (decided["reason"] == "no model registered").all()
    assert list(fitted["version"]) == [1, 1] and fitted["has_model"].all()
    orders = fitted.set_index("model_name").loc["order_anomaly_detectors"]
    assert orders["training_rows"] == len(first["orders"])
    assert orders["training_window_end"] == pd.Timestamp(first["orders"]["order_date"].max())
    assert orders["features"].startswith("units, order_value")
    assert '"scikit-learn"' in orders["library_versions"] and '"torch"' in orders["library_versions"]
    assert '"contamination": 0.01' in orders["detector_settings"]
    metrics = json.loads(orders["validation_metrics"])
    assert 0 < metrics["is_isolation_forest_outlier_share"] <= 0.02
    assert -1 <= metrics["spearman_isolation_forest_one_class_svm"] <= 1


@pytest.mark.parametrize("neural", [False, True], ids=["sklearn_mlp", "torch"])
def test_registered_detectors_score_exactly_as_the_in_place_fit(first, neural):
    """Pickled, loaded and scored: the same rows as detectors fitted and applied in place."""
    settings = dataclasses.replace(SETTINGS, neural=neural)
    orders, customers = first["orders"], first["customers"]
    _, _, rows = _register(orders, customers, settings=settings)
    in_place = anomalies.assemble_anomalies(NO_DAYS, orders, customers, settings, daily_threshold=5)
    scored = registry.score(NO_DAYS, orders, customers, rows, daily_threshold=5, settings=settings)
    assert set(scored["entity_type"]) == {"order", "customer"}
    assert set(scored["autoencoder_model"]) == {settings.autoencoder_model}
    pd.testing.assert_frame_equal(scored, in_place)


def test_a_build_with_nothing_due_scores_with_the_registered_detectors(first):
    orders, customers = first["orders"], first["customers"]
    decided, fitted, rows = _register(orders, customers, first["rows"], now=FITTED + timedelta(days=1))
    assert (decided["action"] == "score").all() and fitted.empty
    assert decided["reason"].str.startswith("not due before 2026-01-31 12:00 (cadence 30 days)").all()
    # No order since the fit: the PSI is not computed and says so; the customers' is.
    assert "0 orders since the fit: PSI needs 200" in decided.loc["order_anomaly_detectors", "reason"]
    assert decided.loc["customer_anomaly_detectors", "psi_max"] == pytest.approx(0.0, abs=1e-9)
    assert list(decided["registered_version"]) == [1, 1]
    pd.testing.assert_frame_equal(_scored(orders, customers, rows), _scored(orders, customers, first["rows"]))


def test_due_forced_and_changed_settings_refit_with_their_reason(first):
    orders, customers = first["orders"], first["customers"]
    due, fitted, _ = _register(orders, customers, first["rows"], now=FITTED + timedelta(days=30))
    assert (due["action"] == "refit").all() and due["reason"].str.contains("due: fitted 2026-01-01 12:00").all()
    assert list(fitted["version"]) == [2, 2]
    forced, _, _ = _register(orders, customers, first["rows"], now=FITTED + timedelta(days=1), force=True)
    assert forced["reason"].str.startswith("var ml_refit is true").all()
    other = dataclasses.replace(SETTINGS, contamination=0.02)
    changed, _, _ = _register(orders, customers, first["rows"], now=FITTED + timedelta(days=1), settings=other)
    assert (changed["action"] == "refit").all()
    assert changed["reason"].str.contains("detector settings changed").all()


def test_a_model_that_cannot_be_loaded_is_refitted_with_the_reason(first):
    orders, customers = first["orders"], first["customers"]
    corrupt = first["rows"].copy()
    corrupt["model_bytes"] = [b"not a pickle", shared.dump({"another": "object"})]
    decided, fitted, rows = _register(orders, customers, corrupt, now=FITTED + timedelta(days=1))
    assert (decided["action"] == "refit").all()
    reasons = decided["reason"]
    assert reasons.str.contains("registered version 1 cannot be loaded").all()
    assert reasons.str.contains("UnpicklingError").any() and reasons.str.contains("TypeError").any()
    # The refit (version 2) scores as the first fit did.
    assert list(fitted["version"]) == [2, 2]
    pd.testing.assert_frame_equal(_scored(orders, customers, rows), _scored(orders, customers, first["rows"]))


def test_detectors_fitted_on_other_features_are_refitted(first):
    orders, customers = first["orders"], first["customers"]
    foreign = first["rows"].copy()
    fitted = registry.load(foreign["model_bytes"].iloc[0])
    foreign.loc[0, "model_bytes"] = shared.dump(dataclasses.replace(fitted, features=("units", "lines")))
    decided, _, _ = _register(orders, customers, foreign, now=FITTED + timedelta(days=1))
    refitted = decided[decided["action"] == "refit"]
    assert len(refitted) == 1 and "fitted on other features (units, lines)" in refitted["reason"].iloc[0]


def test_the_psi_of_the_newest_orders_triggers_an_early_refit(first):
    """Orders dated after the training window, like the old ones: PSI under the threshold,
    scored; ten times the units: PSI over it, refitted early."""
    orders, customers = first["orders"], first["customers"]
    later = {"start": "2011-07-01", "days": 30, "n": 400, "seed": 9, "key_offset": 10_000}
    alike = pd.concat([orders, make_orders(**later)], ignore_index=True)
    decided, _, _ = _register(alike, customers, first["rows"], now=FITTED + timedelta(days=1))
    row = decided.loc["order_anomaly_detectors"]
    assert row["action"] == "score" and row["psi_rows"] == 400 and row["psi_max"] < 0.25
    assert "largest PSI" in row["reason"]
    bigger = pd.concat([orders, make_orders(**later, scale=10.0)], ignore_index=True)
    decided, _, _ = _register(bigger, customers, first["rows"], now=FITTED + timedelta(days=1))
    row = decided.loc["order_anomaly_detectors"]
    assert row["action"] == "refit" and row["psi_max"] > 0.25
    assert "early refit: PSI of" in row["reason"] and "400 orders since the fit vs the training rows" in row["reason"]


def test_the_refresh_log_says_refitted_or_scored(first):
    orders, customers = first["orders"], first["customers"]
    registry.STEP_RECORDS.clear()
    decided, fitted, rows = _register(orders, customers, first["rows"], now=FITTED + timedelta(days=1))
    _scored(orders, customers, rows)
    log = registry.refresh_log(decided.reset_index(), fitted, rows).set_index("model_name")
    assert set(log["action"]) == {"scored"} and set(log["area"]) == {"demand"}
    assert (log["model_version"] == 1).all() and (log["score_seconds"] >= 0).all()
    assert log["fit_seconds"].isna().all() and (log["peak_memory_mb"] > 0).all()
