"""Initialisers draw reproducibly from a Generator, within the documented bounds, and
layers built after the same manual_seed are identical."""
from __future__ import annotations

import math

import numpy as np
import pytest

import mytorch as mt
from mytorch import init

SHAPE = (64, 32, 3, 3)  # fan_in 288, fan_out 576


def draws(fill, seed) -> np.ndarray:
    return fill(np.empty(SHAPE), rng=np.random.default_rng(seed))


FILLS = {
    "uniform": lambda a, rng: init.uniform_(a, -2.0, 3.0, rng=rng),
    "normal": lambda a, rng: init.normal_(a, 0.5, mean=1.0, rng=rng),
    "glorot_uniform": init.glorot_uniform_,
    "he_normal": init.he_normal_,
    "kaiming_uniform": init.kaiming_uniform_,
}


@pytest.mark.parametrize("name", list(FILLS))
def test_same_seed_gives_same_values(name):
    fill = FILLS[name]
    a = draws(fill, 7)
    np.testing.assert_array_equal(a, draws(fill, 7))
    assert not np.array_equal(a, draws(fill, 8))
    # a seed works as well as a Generator, and None uses manual_seed's generator
    np.testing.assert_array_equal(a, fill(np.empty(SHAPE), rng=7))
    mt.manual_seed(7)
    np.testing.assert_array_equal(a, fill(np.empty(SHAPE), rng=None))


def test_fans_follow_pytorch():
    assert init.calculate_fans(SHAPE) == (288, 576)
    assert init.calculate_fans((10, 784)) == (784, 10)
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.calculate_fans((5,))


def test_glorot_uniform_limit_and_spread():
    limit = math.sqrt(6.0 / (288 + 576))
    a = draws(init.glorot_uniform_, 0)
    assert np.abs(a).max() <= limit and np.abs(a).max() > 0.99 * limit
    np.testing.assert_allclose(a.std(), limit / math.sqrt(3), rtol=0.02)
    custom = init.glorot_uniform_(np.empty((16, 8, 5, 5)), fan_in=200, fan_out=16, rng=0)
    # the given fans (limit 0.167) are used, not the defaults (200, 400: limit 0.1)
    assert math.sqrt(6.0 / (200 + 400)) < np.abs(custom).max() <= math.sqrt(6.0 / 216)


def test_kaiming_uniform_bound():
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 288)
    a = draws(init.kaiming_uniform_, 0)
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
    np.testing.assert_allclose(a.std(), math.sqrt(2.0 / 288), rtol=0.02)


def test_he_normal_std():
    a = draws(init.he_normal_, 0)
    np.testing.assert_allclose(a.std(), math.sqrt(2.0 / 288), rtol=0.02)
    assert abs(a.mean()) < 5 * a.std() / math.sqrt(a.size)


def test_torch_default_bounds():
    weight, bias = np.empty((128, 784)), np.empty(128)
    init.torch_default_(weight, bias, rng=0)
    bound = 1.0 / math.sqrt(784)  # kaiming_uniform(a=sqrt(5)) and the bias rule agree
    for a in (weight, bias):
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound


def test_zeros_and_ones():
    a = np.full((3, 2), 5.0)
    assert init.zeros_(a) is a and not a.any()
    assert init.ones_(a) is a and np.all(a == 1)


def build(seed: int):
    mt.manual_seed(seed)
    return [mt.Dense(10, 4), mt.Conv2D(3, 8, 5), mt.Dense(4, 2, dtype=np.float64)]


def test_layers_after_manual_seed_are_identical():
    first, again, other = build(11), build(11), build(12)
    for a, b, c in zip(first, again, other):
        for name in a.params:
            np.testing.assert_array_equal(a.params[name], b.params[name])
            assert not np.array_equal(a.params[name], c.params[name])
    assert first[2].params["weight"].dtype == np.float64


def test_explicit_rng_does_not_touch_the_default_generator():
    mt.manual_seed(5)
    expected = mt.Dense(6, 6).params["weight"]
    mt.manual_seed(5)
    mt.Dense(6, 6, rng=np.random.default_rng(99))
    np.testing.assert_array_equal(mt.Dense(6, 6).params["weight"], expected)
