"""Fit on schedule, score every build (retail_warehouse.ml.segmentation.registry / scheduled):
the refit decision, the registry round trip, scoring with a registered model, the refresh log."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from test_segmentation import SMALL, customer_frame

from retail_warehouse.ml.segmentation import registry, scheduled
from retail_warehouse.ml.segmentation.tables import customer_segments, segmentation_model_selection

FITTED = datetime(2026, 1, 1, 12, 0)
LIBS = registry.library_versions()
REGISTERED = registry.Registered(version=3, fitted_at=FITTED, input_schema_hash="abc", library_versions=LIBS)


def _decide(registered=REGISTERED, **overrides):
    arguments = {
        "now": FITTED + timedelta(days=10),
        "cadence": 30,
        "schema_hash": "abc",
        "libraries": LIBS,
        "force": False,
        "load_error": None,
        "refit_ari": 0.95,
        "ari_threshold": 0.8,
    }
    return registry.decide(registered, **{**arguments, **overrides})


def test_nothing_due_scores_with_the_registered_model():
    decision = _decide()
    assert decision.action == "score"
    assert decision.due_at == FITTED + timedelta(days=30)
    assert "not due before 2026-01-31" in decision.reason and "0.950 >= 0.8" in decision.reason


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"force": True}, "var ml_refit is true"),
        ({"now": FITTED + timedelta(days=30)}, "due: fitted 2026-01-01 12:00, cadence 30 days"),
        ({"cadence": 0}, "due:"),
        ({"schema_hash": "xyz"}, "input schema changed (abc -> xyz)"),
        ({"libraries": '{"scikit-learn": "0.1"}'}, "library versions changed"),
        ({"refit_ari": 0.5}, "early refit: ARI of a refit on this build's sample 0.500 < 0.8"),
        ({"load_error": "UnpicklingError: bad"}, "registered version 3 cannot be loaded (UnpicklingError: bad)"),
    ],
)
def test_each_reason_refits_and_is_written(overrides, reason):
    decision = _decide(**overrides)
    assert decision.action == "refit"
    assert reason in decision.reason


def test_no_registered_model_refits_and_every_reason_that_holds_is_written():
    decision = _decide(None)
    assert (decision.action, decision.reason, decision.due_at) == ("refit", "no model registered", None)
    both = _decide(force=True, refit_ari=0.1)
    assert both.reason.startswith("var ml_refit is true; ") and "early refit" in both.reason
    # An ARI at the threshold is not below it.
    assert _decide(refit_ari=0.8).action == "score"


def test_the_cadence_comes_from_the_policy_else_the_var():
    measured = pd.DataFrame({"store": ["s"], "cadence_status": ["measured"], "refit_every_months": [2]})
    assert registry.cadence_days(measured, 7) == (60, "segment_refresh_policy: every 2 month(s)")
    noisy = measured.assign(cadence_status="noise_below_threshold", refit_every_months=None)
    days, source = registry.cadence_days(noisy, 7)
    assert days == 7 and "noise_below_threshold" in source
    assert registry.cadence_days(measured.iloc[:0], 7)[0] == 7


def test_fingerprint_and_schema_hash_follow_content_and_types():
    frame = pd.DataFrame({"customer_key": ["a", "b"], "monetary": [1.0, 2.0]})
    assert registry.input_fingerprint(frame) == registry.input_fingerprint(frame.copy())
    assert registry.input_fingerprint(frame) != registry.input_fingerprint(frame.assign(monetary=[1.0, 2.5]))
    assert registry.input_schema_hash(frame) == registry.input_schema_hash(frame.assign(monetary=[5.0, 6.0]))
    assert registry.input_schema_hash(frame) != registry.input_schema_hash(frame.astype({"monetary": "float32"}))


def _register(frame, previous=None, previous_versions=None, now=FITTED, force=False, full=False):
    decisions = scheduled.refit_decisions(
        frame,
        previous if previous is not None else pd.DataFrame(),
        pd.DataFrame(),
        SMALL,
        force=force,
        fallback_days=30,
        ari_threshold=0.8,
        now=now,
        build_id=f"build-{now:%d%H}",
    )
    fitted = scheduled.fit_registered(frame, decisions, previous_versions or {}, SMALL, refit_every_store=full)
    return decisions, fitted


def test_a_registered_model_scores_as_the_fit_did_and_is_refitted_when_due():
    frame = pd.concat([customer_frame(500, seed=4), customer_frame(300, seed=5, store="olist")], ignore_index=True)
    rfm = pd.DataFrame({"customer_key": frame["customer_key"], "rfm_segment": "Champions"})
    decisions, fitted = _register(frame)
    assert decisions["action"].tolist() == ["refit", "refit"]
    assert fitted["version"].tolist() == [1, 1] and fitted["store"].tolist() == ["olist", "online_retail"]

    # Scoring with the registered models = the segments the in-place refit gives.
    scored = scheduled.customer_segments(frame, rfm, fitted, SMALL)
    assert scored["model_version"].tolist() == [1] * len(frame)
    in_place = customer_segments(frame, rfm, segmentation_model_selection(frame, SMALL), SMALL)
    pd.testing.assert_frame_equal(scored.drop(columns="model_version"), in_place)
    pd.testing.assert_frame_equal(
        scheduled.model_selection(fitted).drop(columns="model_version"), segmentation_model_selection(frame, SMALL)
    )

    # A day later on the same customers: nothing due, the sample refit agrees (ARI 1): scored.
    later = FITTED + timedelta(days=1)
    decisions, fitted_now = _register(frame, fitted, {"olist": 1, "online_retail": 1}, now=later)
    assert decisions["action"].tolist() == ["score", "score"]
    assert decisions["refit_ari"].tolist() == [1.0, 1.0]
    assert fitted_now.empty
    log = scheduled.refresh_log(decisions, fitted_now, fitted)
    assert log["action"].tolist() == ["scored", "scored"] and log["model_version"].tolist() == [1, 1]

    # Past the cadence: refitted, version 2.
    decisions, refitted = _register(frame, fitted, {"olist": 1, "online_retail": 1}, now=FITTED + timedelta(days=31))
    assert decisions["action"].tolist() == ["refit", "refit"] and refitted["version"].tolist() == [2, 2]
    log = scheduled.refresh_log(decisions, refitted, pd.concat([fitted, refitted]))
    assert log["action"].tolist() == ["refitted", "refitted"] and log["model_version"].tolist() == [2, 2]
    assert all(reason.startswith("due:") for reason in log["reason"])


def test_a_model_that_cannot_be_loaded_is_refitted_with_the_reason():
    frame = customer_frame(400, seed=2)
    _, fitted = _register(frame)
    corrupt = fitted.assign(model_bytes=[b"not a pickle"])
    decisions, refitted = _register(frame, corrupt, {"online_retail": 1}, now=FITTED + timedelta(days=1))
    assert decisions["action"].tolist() == ["refit"]
    assert "registered version 1 cannot be loaded" in decisions["reason"].iloc[0]
    assert refitted["version"].tolist() == [2]


def test_a_full_rebuild_of_the_registry_refits_every_store():
    frame = customer_frame(400, seed=2)
    _, fitted = _register(frame)
    decisions, refitted = _register(frame, fitted, {}, now=FITTED + timedelta(days=1), full=True)
    assert decisions["action"].tolist() == ["score"]
    assert refitted["refit_reason"].tolist() == ["registry built anew (first or full-refresh build)"]
