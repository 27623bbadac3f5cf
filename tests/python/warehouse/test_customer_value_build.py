"""The churn and customer-value tables (python_models/customer_value/) of the synthetic build
(both stores)."""

from __future__ import annotations

import pytest
from helpers import CUSTOMER_VALUE_CHECKS


@pytest.mark.parametrize("check", CUSTOMER_VALUE_CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_synthetic_customer_value_tables(synthetic_build, check):
    check(synthetic_build)
