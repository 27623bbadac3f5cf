"""Vars read into SQL are validated before anything is built: a bad value stops `dbt build`
with the var's name, its value and the expected form, and nothing is published."""

from __future__ import annotations

import json

import pytest
from helpers import run_dbt_build

BAD_VARS = [
    ({"max_event_date": "2012-13-01"}, "var max_event_date", "expected a date YYYY-MM-DD"),
    ({"max_event_date": "2012-02-30"}, "var max_event_date", "expected a date YYYY-MM-DD"),
    ({"max_event_date": "2012-01-01'; drop schema marts; --"}, "var max_event_date", "expected a date YYYY-MM-DD"),
    ({"rfm_as_of_date": "01/09/2011"}, "var rfm_as_of_date", "expected a date YYYY-MM-DD, a mapping"),
    ({"rfm_as_of_date": {"olsit": "2018-01-01"}}, "var rfm_as_of_date", "with store in online_retail, olist"),
    ({"quarantine_max_share_per_rule": 2}, "var quarantine_max_share_per_rule", "expected a number from 0 to 1"),
    ({"incremental_lookback_days": "a week"}, "var incremental_lookback_days", "expected an integer from 0"),
    ({"data_end_min_share_of_typical_day": "ten"}, "var data_end_min_share_of_typical_day", "expected a number"),
    ({"ml_neural": "sometimes"}, "var ml_neural", "expected true or false"),
]


@pytest.mark.parametrize(("dbt_vars", "name", "expected"), BAD_VARS, ids=lambda value: str(value)[:40])
def test_a_bad_var_is_refused_with_its_name_and_expected_form(tmp_path, dbt_vars, name, expected):
    build = run_dbt_build(tmp_path, extra_args=("--vars", json.dumps(dbt_vars)))
    assert build.returncode != 0
    assert name in build.output and expected in build.output, build.output[-3000:]
    assert not build.published and not build.warehouse.exists()
