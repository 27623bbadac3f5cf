"""The churn and customer-value tables (python_models/customer_value/) of the build on the real
files."""

from __future__ import annotations

import pytest
from helpers import CUSTOMER_VALUE_CHECKS


@pytest.mark.parametrize("check", CUSTOMER_VALUE_CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_real_customer_value_tables(real_build, check):
    check(real_build)


def test_on_the_real_files_the_best_models_beat_their_baselines(real_build):
    """The served churn model beats recency with a paired-bootstrap interval above 0, or is
    recency itself (Olist: no model beats it)."""
    served = real_build.query(
        "select store, model_name, is_baseline, beats_baseline, served_reason from ml.churn_model_metrics where is_best"
    )
    assert {row[0] for row in served} == {"online_retail", "olist"}
    for store, model, is_baseline, beats_baseline, reason in served:
        assert is_baseline or beats_baseline, (store, model)
        assert model in reason, store
    spend = real_build.query(
        """
        select store, min(rmse) filter (where not is_baseline), min(rmse) filter (where is_baseline)
        from ml.customer_value_metrics
        where target_name = 'spend_next_h'
        group by store
        """
    )
    assert len(spend) == 2
    for store, best_rmse, baseline_rmse in spend:
        assert best_rmse < baseline_rmse, store


def test_on_the_real_files_the_cutoffs_are_the_documented_ones(real_build):
    validation = dict(real_build.query("select store, validation_cutoff from ml.churn_model_metrics where is_best"))
    assert str(validation["online_retail"]) == "2011-09-01"
    assert str(validation["olist"]) == "2018-03-01"
