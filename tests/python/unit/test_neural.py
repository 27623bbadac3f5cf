"""The neural models' shared context (retail_warehouse.ml.neural): seeded, one thread,
deterministic, so the same input gives the same tables bit for bit; the var ml_neural."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from retail_warehouse.ml.common import neural_enabled
from retail_warehouse.ml.demand.recurrent import recurrent_forecast
from retail_warehouse.ml.neural import deterministic_torch


def test_the_context_seeds_uses_one_thread_and_restores_the_settings():
    threads = torch.get_num_threads()
    with deterministic_torch(7):
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled()
        first = torch.rand(5)
    with deterministic_torch(7):
        second = torch.rand(5)
    with deterministic_torch(8):
        other = torch.rand(5)
    assert torch.equal(first, second) and not torch.equal(first, other)
    assert torch.get_num_threads() == threads and not torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_two_fits_give_identical_forecasts_whatever_ran_between(cell):
    y = np.tile([5.0, 9.0, 7.0, 12.0, 3.0, 1.0, 4.0], 12) + np.arange(84) * 0.05
    first = recurrent_forecast(y, 10, 7, seed=42, cell=cell)
    torch.rand(1000)  # draws from the global generator in between do not matter
    second = recurrent_forecast(y, 10, 7, seed=42, cell=cell)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert not np.array_equal(first[0], recurrent_forecast(y, 10, 7, seed=43, cell=cell)[0])


@pytest.mark.parametrize(("setting", "expected"), [(True, True), ("True", True), ("false", False), (False, False)])
def test_ml_neural_is_read_from_dbt_config(setting, expected):
    assert neural_enabled(setting) is expected


def test_ml_neural_refuses_anything_but_true_or_false():
    with pytest.raises(ValueError, match="ml_neural"):
        neural_enabled("sometimes")
