"""The customer value evaluations are part of the fit
(retail_warehouse.ml.customer_value.registry.evaluation_decisions): a store's validation tables
rerun only when a model its previous evaluation serves is refitted (or there is none), the refit
decisions reuse the decisions taken then for the stores kept, and the refresh log says which."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest
from test_customer_value import history_store_tables

from retail_warehouse.ml.customer_value import registry, spend, tables

FITTED = datetime(2026, 1, 1, 12, 0)
CADENCES = {"churn_refit_days": 30, "value_refit_days": 30, "btyd_refit_days": 30}


@pytest.fixture(scope="module")
def built():
    orders, tables_built = history_store_tables()
    data_ends = pd.DataFrame({"store": ["tiny"], "data_end_date": [orders["order_date"].max()]})
    inputs = tables.store_inputs(tables_built["features"], orders, tables_built["examples"], data_ends)
    required = tables.required_models(inputs, tables_built["metrics"], tables_built["value_metrics"])
    decided = registry.decisions(
        inputs, required, pd.DataFrame(), cadences=CADENCES, psi_threshold=0.25, force=False, now=FITTED
    )
    fitted = registry.fit_registered(inputs, decided, {}, seed=42, max_rows=5000, refit_everything=False)
    return {**tables_built, "inputs": inputs, "required": required, "fitted": fitted}


def _evaluations(built, *, previous=True, registered=None, now=FITTED + timedelta(days=1), force=False):
    served, has_previous = tables.previous_served(
        built["inputs"],
        built["metrics"] if previous else None,
        built["value_metrics"] if previous else None,
    )
    return registry.evaluation_decisions(
        built["inputs"],
        served,
        built["fitted"] if registered is None else registered,
        has_previous_evaluation=has_previous,
        cadences=CADENCES,
        psi_threshold=0.25,
        force=force,
        now=now,
        build_id=f"build-{now:%d%H}",
    )


def _refit_decisions(built, evaluations, now=FITTED + timedelta(days=1), force=False, required=None):
    return registry.decisions(
        built["inputs"],
        required or built["required"],
        built["fitted"],
        cadences=CADENCES,
        psi_threshold=0.25,
        force=force,
        now=now,
        build_id="refit-decisions",
        kept=evaluations,
    )


def test_without_a_previous_evaluation_every_store_is_evaluated(built):
    evaluations = _evaluations(built, previous=False, registered=pd.DataFrame())
    assert list(evaluations.columns) == list(registry.EVALUATION_COLUMNS)
    assert set(evaluations["evaluation_action"]) == {registry.EVALUATE}
    assert set(evaluations["evaluation_reason"]) == {registry.NO_PREVIOUS_EVALUATION}
    # Nothing served yet: the default transaction model of the store, decided on.
    assert evaluations["model_name"].tolist() == [spend.PROBABILISTIC]
    assert registry.evaluated_stores(evaluations, table_is_new=False) == ("tiny",)


def test_nothing_due_keeps_the_evaluation_and_the_refit_decisions_reuse_its_decisions(built):
    evaluations = _evaluations(built)
    assert set(evaluations["evaluation_action"]) == {registry.KEEP}, evaluations["evaluation_reason"].tolist()
    assert set(evaluations["action"]) == {"score"}
    # The models the previous evaluation serves are this build's required ones.
    assert sorted(evaluations["model_name"]) == sorted(model.model_name for model in built["required"]["tiny"])
    assert registry.evaluated_stores(evaluations, table_is_new=False) == ()
    # A table built anew evaluates every store, kept or not.
    assert registry.evaluated_stores(evaluations, table_is_new=True) is None
    decided = _refit_decisions(built, evaluations)
    reused = evaluations[list(registry.DECISION_COLUMNS)].sort_values("model_name").reset_index(drop=True)
    # The same rows (same build_id, decided_at, PSI): not decided a second time.
    pd.testing.assert_frame_equal(decided, reused)


@pytest.mark.parametrize(
    ("now", "force", "reason"),
    [
        (FITTED + timedelta(days=31), False, "due: fitted 2026-01-01 12:00, cadence 30 days"),
        (FITTED + timedelta(days=1), True, "var ml_refit is true"),
    ],
    ids=["due", "ml_refit"],
)
def test_a_refitted_model_evaluates_its_store_and_the_refit_is_decided_again(built, now, force, reason):
    evaluations = _evaluations(built, now=now, force=force)
    assert set(evaluations["evaluation_action"]) == {registry.EVALUATE}
    text = evaluations["evaluation_reason"].iloc[0]
    assert text.startswith("refitted: ") and reason in text
    assert all(f"{name}: " in text for name in evaluations["model_name"])
    assert registry.evaluated_stores(evaluations, table_is_new=False) == ("tiny",)
    decided = _refit_decisions(built, evaluations, now=now, force=force)
    assert set(decided["action"]) == {"refit"}
    assert set(decided["build_id"]) == {"refit-decisions"}  # decided on the new metrics, not reused


def test_one_refitted_model_evaluates_the_store(built):
    registered = built["fitted"].copy()
    churn_row = registered["model_name"] == registry.CHURN
    registered.loc[churn_row, "model_bytes"] = b"not a pickle"
    evaluations = _evaluations(built, registered=registered)
    assert set(evaluations["evaluation_action"]) == {registry.EVALUATE}
    text = evaluations["evaluation_reason"].iloc[0]
    assert f"{registry.CHURN}: registered version 1 cannot be loaded (UnpicklingError" in text
    # Only the refitted model is named: the others score.
    assert evaluations.set_index("model_name").loc[registry.CHURN, "action"] == "refit"
    assert (evaluations.loc[evaluations["model_name"] != registry.CHURN, "action"] == "score").all()
    assert not any(f"{name}: " in text for name in evaluations["model_name"] if name != registry.CHURN)


def test_kept_decisions_on_other_models_than_the_required_ones_are_not_reused(built):
    """After a --full-refresh of the evaluation tables the new metrics may serve another method
    than the kept evaluation decided on: the store is decided again, and the change refits."""
    evaluations = _evaluations(built)
    required = {
        "tiny": [
            registry.Required(model.model_name, "another_classifier", model.target_name, model.horizon_days, {})
            if model.model_name == registry.CHURN
            else model
            for model in built["required"]["tiny"]
        ]
    }
    decided = _refit_decisions(built, evaluations, required=required).set_index("model_name")
    assert set(decided["build_id"]) == {"refit-decisions"}
    assert decided.loc[registry.CHURN, "action"] == "refit"
    assert "the validation now serves another_classifier" in decided.loc[registry.CHURN, "reason"]


def test_the_refresh_log_says_whether_the_store_was_evaluated(built):
    kept = _evaluations(built)
    log = registry.refresh_log(_refit_decisions(built, kept), built["fitted"].iloc[0:0], built["fitted"], kept)
    assert set(log["evaluation_action"]) == {"kept"} and set(log["action"]) == {"scored"}
    assert log["evaluation_reason"].str.contains("rows of its last evaluation are kept").all()
    evaluated = _evaluations(built, force=True)
    log = registry.refresh_log(
        _refit_decisions(built, evaluated, force=True), built["fitted"], built["fitted"], evaluated
    )
    assert set(log["evaluation_action"]) == {"evaluated"}
    assert log["evaluation_reason"].str.contains("var ml_refit is true").all()


def test_previous_served_reads_the_previous_evaluation(built):
    served, has_previous = tables.previous_served(built["inputs"], built["metrics"], built["value_metrics"])
    assert has_previous and served == built["required"]
    served, has_previous = tables.previous_served(built["inputs"], built["metrics"], None)
    assert not has_previous
    assert [model.model_name for model in served["tiny"]] == [spend.PROBABILISTIC]


def test_of_stores_keeps_the_rows_of_the_stores_evaluated(built):
    examples = built["examples"]
    both = pd.concat([examples, examples.assign(store="copy")], ignore_index=True)
    with duckdb.connect() as con:
        relation = con.from_df(both)
        assert len(tables.of_stores(relation, None).df()) == len(both)
        alone = tables.of_stores(relation, ("tiny",)).df()
        assert tables.of_stores(relation, ()).df().empty
    assert set(alone["store"]) == {"tiny"} and len(alone) == len(examples)


def test_an_evaluation_of_one_store_gives_it_the_rows_of_an_evaluation_of_all(built):
    """Every evaluation is per store: with a second store beside it (the same examples under
    another name), the rows of the store evaluated alone are those of both evaluated."""
    examples = built["examples"]
    both = pd.concat([examples.assign(store="copy"), examples], ignore_index=True)
    predictions_both = tables.churn_validation_predictions(both, 42, 5000)
    tiny = predictions_both[predictions_both["store"] == "tiny"].reset_index(drop=True)
    pd.testing.assert_frame_equal(tiny, built["predictions"])
    metrics_both = tables.churn_model_metrics(predictions_both, both, 5000, 42)
    pd.testing.assert_frame_equal(
        metrics_both[metrics_both["store"] == "tiny"].reset_index(drop=True), built["metrics"]
    )


def _unread():
    raise AssertionError("the sale orders are read again")


def test_a_store_decided_again_takes_what_the_evaluation_decisions_recorded_of_its_orders(built):
    """The orders are read once per build: the refit decisions of a store evaluated (decided
    again on the new metrics) take the InputStats of its sale orders from the evaluation
    decisions."""
    evaluations = _evaluations(built, force=True)
    unread = {store: dataclasses.replace(inputs, read_orders=_unread) for store, inputs in built["inputs"].items()}
    decided = registry.decisions(
        unread,
        built["required"],
        built["fitted"],
        cadences=CADENCES,
        psi_threshold=0.25,
        force=True,
        now=FITTED + timedelta(days=1),
        build_id="refit-decisions",
        kept=evaluations,
    )
    assert set(decided["build_id"]) == {"refit-decisions"}
    columns = ["training_rows", "training_window_start", "training_window_end", "input_fingerprint"]
    transaction = decided[decided["model_name"].isin(registry.TRANSACTION_MODELS)]
    recorded = evaluations[evaluations["model_name"].isin(registry.TRANSACTION_MODELS)]
    assert len(transaction) and transaction["training_rows"].gt(0).all()
    pd.testing.assert_frame_equal(
        transaction[columns].drop_duplicates().reset_index(drop=True),
        recorded[columns].drop_duplicates().reset_index(drop=True),
    )


def test_the_model_fits_rerun_for_the_stores_evaluated_and_those_whose_data_end_moved():
    ends = pd.DataFrame(
        {"store": ["a", "b", "c"], "data_end_date": pd.to_datetime(["2011-12-09", "2018-08-31", "2020-01-01"])}
    )
    kept = pd.DataFrame(
        {"store": ["a", "b", "c"], "as_of_date": pd.to_datetime(["2011-12-10", "2018-08-31", "2020-01-02"])}
    )
    # Built anew: every store.
    assert tables.model_fit_stores(None, None, ends) is None
    # Nothing evaluated: only b, whose kept scoring fit is not as of the day after its data end.
    assert tables.model_fit_stores((), kept, ends) == ("b",)
    assert tables.model_fit_stores(("c",), kept, ends) == ("b", "c")
    # No kept scoring fit: fitted.
    assert tables.model_fit_stores((), kept.iloc[:0], ends) == ("a", "b", "c")
