"""Fit on schedule, score every build for the customer value models
(retail_warehouse.ml.customer_value.registry, the shared retail_warehouse.ml.registry): the
registered models score exactly as the in-place fits did, a second build with nothing due scores,
ml_refit, a corrupt pickle and a changed served method refit with the reason, the PSI trigger."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from test_customer_value import history_connection, history_store_tables

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.customer_value import history, registry, spend, tables

FITTED = datetime(2026, 1, 1, 12, 0)
CADENCES = {"churn_refit_days": 30, "value_refit_days": 30, "btyd_refit_days": 30}


@pytest.fixture(scope="module")
def built():
    orders, tables_built = history_store_tables()
    data_ends = pd.DataFrame({"store": ["tiny"], "data_end_date": [orders["order_date"].max()]})
    inputs = tables.store_inputs(tables_built["features"], orders, tables_built["examples"], data_ends)
    required = tables.required_models(inputs, tables_built["metrics"], tables_built["value_metrics"])
    return {**tables_built, "orders": orders, "data_ends": data_ends, "inputs": inputs, "required": required}


def _register(built, previous=None, now=FITTED, force=False, full=False, psi_threshold=0.25):
    previous = previous if previous is not None else pd.DataFrame()
    decided = registry.decisions(
        built["inputs"],
        built["required"],
        previous,
        cadences=CADENCES,
        psi_threshold=psi_threshold,
        force=force,
        now=now,
        build_id=f"build-{now:%d%H}",
    )
    versions = {}
    if len(previous):
        versions = previous.groupby(["store", "model_name"])["version"].max().to_dict()
    fitted = registry.fit_registered(built["inputs"], decided, versions, seed=42, max_rows=5000, refit_everything=full)
    return decided, fitted


def _evaluations(built, registered, now):
    """The evaluation decisions of a build (evaluation_decisions) on the served models."""
    return registry.evaluation_decisions(
        built["inputs"],
        built["required"],
        registered,
        has_previous_evaluation=True,
        cadences=CADENCES,
        psi_threshold=0.25,
        force=False,
        now=now,
        build_id=f"evaluations-{now:%d%H}",
    )


def _scored(built, registry_rows):
    loaded = registry.loaded(registry_rows)
    orders, data_ends, examples = built["orders"], built["data_ends"], built["examples"]
    return {
        "scores": tables.churn_scores(
            built["features"], orders, examples, built["metrics"], data_ends, None, 42, 5000, registered=loaded
        ),
        "value": tables.customer_value_predictions(
            built["features"],
            orders,
            examples,
            built["value_metrics"],
            built["next_order"],
            data_ends,
            42,
            5000,
            registered=loaded,
        ),
        "store_value": tables.store_value_forecast(
            built["features"], orders, built["value_metrics"], data_ends, 42, registered=loaded
        ),
    }


def test_the_served_models_are_the_validated_ones(built):
    names = [model.model_name for model in built["required"]["tiny"]]
    assert names[0] == registry.CHURN
    assert set(names) & set(spend.TRANSACTION_MODELS)
    best = built["metrics"][built["metrics"]["is_best"]]["model_name"].iloc[0]
    assert built["required"]["tiny"][0].method == best


def test_registered_models_score_as_the_in_place_fits_and_a_second_build_scores(built):
    decided, fitted = _register(built)
    assert set(decided["action"]) == {"refit"} and set(decided["reason"]) == {"no model registered"}
    assert fitted["version"].tolist() == [1] * len(fitted)
    scored = _scored(built, fitted)
    for name in ("scores", "value", "store_value"):
        pd.testing.assert_frame_equal(scored[name], built[name], obj=name)

    # A day later, same inputs: nothing due, PSI 0 against the scoring rows of the fit: scored.
    later = FITTED + timedelta(days=1)
    decided, fitted_now = _register(built, fitted, now=later)
    assert set(decided["action"]) == {"score"}, decided[["model_name", "reason"]]
    assert fitted_now.empty
    assert all("not due before 2026-01-31" in reason for reason in decided["reason"])
    assert (decided["psi_max"] < 1e-9).all()
    # Against the training rows (every monthly cutoff) the PSI is large by construction: written, not a trigger.
    churn_decision = decided[decided["model_name"] == registry.CHURN].iloc[0]
    assert churn_decision["psi_training_max"] > 0.25
    again = _scored(built, fitted)
    for name in ("scores", "value", "store_value"):
        pd.testing.assert_frame_equal(again[name], scored[name], obj=name)
    log = registry.refresh_log(decided, fitted_now, fitted, _evaluations(built, fitted, later))
    assert set(log["action"]) == {"scored"} and set(log["model_version"]) == {1}
    assert set(log["evaluation_action"]) == {"kept"}
    assert list(log.columns) == list(shared.LOG_COLUMNS)

    # Past the cadence: refitted, version 2, and the log says refitted with the reason.
    decided, refitted = _register(built, fitted, now=FITTED + timedelta(days=31))
    assert set(decided["action"]) == {"refit"} and set(refitted["version"]) == {2}
    evaluations = _evaluations(built, fitted, FITTED + timedelta(days=31))
    log = registry.refresh_log(decided, refitted, pd.concat([fitted, refitted]), evaluations)
    assert set(log["action"]) == {"refitted"} and all(r.startswith("due:") for r in log["reason"])
    assert set(log["evaluation_action"]) == {"evaluated"}


def test_ml_refit_and_a_full_rebuild_refit_everything(built):
    _, fitted = _register(built)
    decided, refitted = _register(built, fitted, now=FITTED + timedelta(days=1), force=True)
    assert set(decided["action"]) == {"refit"} and all(r.startswith("var ml_refit is true") for r in decided["reason"])
    assert set(refitted["version"]) == {2}
    decided, rebuilt = _register(built, fitted, now=FITTED + timedelta(days=1), full=True)
    assert set(decided["action"]) == {"score"}
    assert set(rebuilt["refit_reason"]) == {"registry built anew (first or full-refresh build)"}


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda blob: b"not a pickle", "cannot be loaded (UnpicklingError"),
        (lambda blob: shared.dump({"a": "dict"}), "cannot be loaded (TypeError: registry blob holds a dict"),
        (
            lambda blob: shared.dump(
                registry.FittedCustomerModel("churn_classifier", "x", "churn", ("recency_days",), None)
            ),
            "cannot be loaded (ValueError: fitted on other features (recency_days))",
        ),
    ],
)
def test_a_model_that_cannot_be_loaded_is_refitted_with_the_reason(built, damage, reason):
    _, fitted = _register(built)
    broken = fitted.assign(model_bytes=[damage(blob) for blob in fitted["model_bytes"]])
    decided, refitted = _register(built, broken, now=FITTED + timedelta(days=1))
    assert set(decided["action"]) == {"refit"}
    assert all(reason in text for text in decided["reason"]), decided["reason"].tolist()
    assert set(refitted["version"]) == {2}
    # The refitted models score as the first fit did.
    pd.testing.assert_frame_equal(_scored(built, refitted)["scores"], built["scores"])


def test_another_served_method_is_refitted(built):
    _, fitted = _register(built)
    churn_row = fitted["model_name"] == registry.CHURN
    other = registry.load(fitted.loc[churn_row, "model_bytes"].iloc[0])
    other.method = "some_other_classifier"
    swapped = fitted.copy()
    swapped.loc[churn_row, "model_bytes"] = shared.dump(other)
    decided, _ = _register(built, swapped, now=FITTED + timedelta(days=1))
    churn_decision = decided[decided["model_name"] == registry.CHURN].iloc[0]
    assert churn_decision["action"] == "refit"
    assert "the validation now serves" in churn_decision["reason"]


def test_psi_is_zero_on_the_same_distribution_and_fires_on_shifted_features():
    rng = np.random.default_rng(0)
    training = pd.DataFrame({"a": rng.normal(size=5000), "b": rng.exponential(size=5000)})
    reference = shared.reference_bins(training, ["a", "b"])
    same = shared.feature_psi(reference, training)
    assert max(same.values()) < 1e-9
    resampled = shared.feature_psi(
        reference, pd.DataFrame({"a": rng.normal(size=3000), "b": rng.exponential(size=3000)})
    )
    assert max(resampled.values()) < 0.05
    shifted = shared.feature_psi(reference, training.assign(a=training["a"] + 1.0))
    assert shifted["a"] > 0.25 and shifted["b"] < 1e-9
    assert shared.largest_psi(shifted) == ("a", shifted["a"])
    # A known value: half the mass moved from one of two bins to the other.
    assert shared.psi(np.array([0.5, 0.5]), np.array([0.25, 0.75])) == pytest.approx(0.25 * np.log(3))


def test_shifted_scoring_features_trigger_an_early_refit(built):
    _, fitted = _register(built)
    inputs = dict(built["inputs"])
    store = inputs["tiny"]
    shifted = store.scorable.assign(recency_days=store.scorable["recency_days"] * 5 + 400)
    inputs["tiny"] = dataclasses.replace(store, read_scorable=lambda: shifted)
    decided = registry.decisions(
        inputs,
        built["required"],
        fitted,
        cadences=CADENCES,
        psi_threshold=0.25,
        force=False,
        now=FITTED + timedelta(days=1),
        build_id="shifted",
    )
    churn_decision = decided[decided["model_name"] == registry.CHURN].iloc[0]
    assert churn_decision["action"] == "refit"
    assert churn_decision["psi_feature"] == "recency_days" and churn_decision["psi_max"] > 0.25
    assert "early refit: PSI of recency_days" in churn_decision["reason"]


def test_a_registered_spend_regression_predicts_as_the_in_place_fit(built):
    """The spend regression is registered only when the validation serves one (not on every
    store): fitted through the registry, loaded back, it predicts as spend.fit_regressor does."""
    required = {"tiny": [registry.Required(registry.SPEND, "ridge", "spend_next_h", 60, {"rmse": 1.0})]}
    decided = registry.decisions(
        built["inputs"], required, pd.DataFrame(), cadences=CADENCES, psi_threshold=0.25, force=False, build_id="b"
    )
    fitted = registry.fit_registered(built["inputs"], decided, {}, seed=42, max_rows=5000, refit_everything=False)
    version, model = registry.loaded(fitted)[("tiny", registry.SPEND)]
    scorable = built["inputs"]["tiny"].scorable
    in_place = spend.fit_regressor("ridge", built["inputs"]["tiny"].examples, 42, 5000)
    assert version == 1 and model.method == "ridge"
    np.testing.assert_array_equal(
        spend.predict_spend(model.estimator, scorable), spend.predict_spend(in_place, scorable)
    )
    assert fitted["validation_metrics"].iloc[0] == '{"rmse": 1.0}'


def test_the_decisions_and_fits_read_from_the_duckdb_history_equal_those_read_from_every_order(monkeypatch):
    """The decision and registry models read the order history per customer from DuckDB
    (tables.order_history: the RFM summary and the recent activity; the sale orders
    fingerprinted in chunks), not every sale order in pandas: the same decisions, to the bit,
    on a first build and on the next one (PSI against the registered models), and the same
    fitted models."""
    monkeypatch.setattr(history, "ORDER_CHUNK_VECTORS", 1)  # chunks of 2,048 orders
    orders, built, connection = history_connection()
    every_order = connection.table("fct_orders").project(tables.ORDER_COLUMNS).df()
    data_ends = pd.DataFrame({"store": ["tiny"], "data_end_date": [orders["order_date"].max()]})
    in_pandas = tables.store_inputs(built["features"], every_order, built["examples"], data_ends)
    in_duckdb = tables.store_inputs(
        built["features"], tables.order_history(connection.table("fct_orders")), built["examples"], data_ends
    )
    assert in_duckdb["tiny"].order_stats == in_pandas["tiny"].order_stats
    assert in_duckdb["tiny"].order_stats.rows > 0
    required = tables.required_models(in_pandas, built["metrics"], built["value_metrics"])
    timing = ["decision_seconds", "decision_peak_mb"]

    def decided(inputs, previous, now):
        return registry.decisions(
            inputs, required, previous, cadences=CADENCES, psi_threshold=0.25, force=False, now=now, build_id="b"
        ).drop(columns=timing)

    first = decided(in_pandas, pd.DataFrame(), FITTED)
    pd.testing.assert_frame_equal(decided(in_duckdb, pd.DataFrame(), FITTED), first, check_exact=True)
    fitted = {
        name: registry.fit_registered(inputs, first, {}, seed=42, max_rows=5000, refit_everything=False)
        for name, inputs in (("pandas", in_pandas), ("duckdb", in_duckdb))
    }
    measured = ["fit_seconds", "fit_peak_mb"]
    pd.testing.assert_frame_equal(fitted["duckdb"].drop(columns=measured), fitted["pandas"].drop(columns=measured))
    later = FITTED + timedelta(days=1)
    second = decided(in_pandas, fitted["pandas"], later)
    assert set(second["action"]) == {"score"} and second["psi_max"].notna().all()
    pd.testing.assert_frame_equal(decided(in_duckdb, fitted["pandas"], later), second, check_exact=True)
