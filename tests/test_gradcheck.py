"""mytorch.testing.gradcheck passes on every layer and on MyCNN, fails on a wrong layer,
and reports ReLU-at-zero and max-pool ties as kinks rather than failures."""
from __future__ import annotations

import numpy as np
import pytest

import mytorch as mt
from conftest import mycnn
from mytorch.testing import gradcheck


def assert_passed(result, expected_tensors: set[str]) -> None:
    assert result.passed
    assert set(result.checked) == expected_tensors
    assert all(n > 0 for n in result.checked.values()), result.checked
    assert all(err <= 1.0 for err in result.max_error.values()), result.max_error


LAYER_CASES = {
    "dense": (lambda: mt.Dense(5, 4, rng=0), (3, 5)),
    "conv_same_k5": (lambda: mt.Conv2D(1, 3, 5, padding="same", rng=0), (2, 1, 6, 5)),
    "conv_stride2_k3": (lambda: mt.Conv2D(3, 2, 3, stride=2, padding=1, rng=0), (2, 3, 7, 9)),
    "conv_valid_nobias": (lambda: mt.Conv2D(2, 3, (3, 2), padding="valid", bias=False, rng=0),
                          (1, 2, 5, 4)),
    "maxpool": (mt.MaxPool2x2, (2, 3, 5, 7)),
    "relu": (mt.ReLU, (3, 4, 5)),
    "softmax": (mt.Softmax, (3, 6)),
    "flatten": (mt.Flatten, (2, 3, 4, 5)),
    "batchnorm_nc": (lambda: mt.BatchNorm(4), (5, 4)),
    "batchnorm_nchw": (lambda: mt.BatchNorm(3), (2, 3, 4, 5)),
}


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_gradcheck_passes_on_every_layer(case, training, rng):
    make, shape = LAYER_CASES[case]
    layer = make()  # float32 parameters: gradcheck must cast a copy to float64 itself
    if isinstance(layer, mt.BatchNorm):
        layer.params["weight"][...] = rng.uniform(0.5, 1.5, layer.num_features)
        layer.params["bias"][...] = rng.uniform(-0.5, 0.5, layer.num_features)
        layer.buffers["running_mean"][...] = rng.uniform(-0.5, 0.5, layer.num_features)
        layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, layer.num_features)
    before = {k: v.copy() for k, v in layer.named_tensors()}
    x = rng.standard_normal(shape)
    result = gradcheck(layer, x, training=training)
    assert_passed(result, {"input", *layer.params})
    # the checked copy is separate: the original layer keeps its dtype and values
    for name, value in layer.named_tensors():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_gradcheck_passes_on_mycnn(training, rng):
    mt.manual_seed(0)
    model = mycnn(12, 12)
    x = rng.standard_normal((3, 1, 12, 12))
    result = gradcheck(model, x, training=training, max_checks=15)
    names = {"input"} | {f"{i}.{n}" for i, layer in enumerate(model) for n in layer.params}
    assert len(names) == 15
    assert_passed(result, names)


class OffByAFactorDense(mt.Dense):
    """A deliberately wrong layer: the input gradient is 1 % too large."""

    def backward(self, grad_output):
        return super().backward(grad_output) * 1.01


class WrongBiasGradDense(mt.Dense):
    """A deliberately wrong layer: the bias gradient is doubled."""

    def backward(self, grad_output):
        grad_x = super().backward(grad_output)
        self.grads["bias"] *= 2
        return grad_x


def test_gradcheck_fails_on_wrong_input_gradient(rng):
    x = rng.standard_normal((3, 5))
    with pytest.raises(AssertionError, match=r"gradcheck failed:\n  input\[\d, \d\]: backward"):
        gradcheck(OffByAFactorDense(5, 4, rng=0), x)
    result = gradcheck(OffByAFactorDense(5, 4, rng=0), x, raise_on_failure=False)
    assert not result.passed and not bool(result)
    assert result.max_error["input"] > 1.0
    assert result.max_error["weight"] <= 1.0


def test_gradcheck_fails_on_wrong_parameter_gradient(rng):
    x = rng.standard_normal((3, 5))
    wrong_bias = r"bias\[\d\]: backward -?[\d.]+, finite difference -?[\d.]+"
    with pytest.raises(AssertionError, match=wrong_bias):
        gradcheck(WrongBiasGradDense(5, 4, rng=0), x)
    model = mt.Sequential(mt.ReLU(), WrongBiasGradDense(5, 4, rng=0))
    result = gradcheck(model, x, raise_on_failure=False)
    assert not result.passed and result.max_error["1.bias"] > 1.0


def test_relu_at_zero_is_a_kink_not_a_failure(rng):
    x = rng.standard_normal((4, 6))
    x[np.abs(x) < 0.05] = 0.5  # keep every other entry away from the kink
    zeros = np.zeros(x.size, bool)
    zeros[::3] = True
    x.reshape(-1)[zeros] = 0.0
    result = gradcheck(mt.ReLU(), x, max_checks=x.size)
    assert result.passed
    assert result.kinks["input"] == zeros.sum()
    assert result.checked["input"] == x.size - zeros.sum()


def test_maxpool_ties_are_kinks_not_failures(rng):
    x = rng.permutation(np.arange(2 * 3 * 4 * 6, dtype=np.float64)).reshape(2, 3, 4, 6) * 0.1
    x[0, 0, :2, :2] = 1.5  # two windows where all four entries tie for the maximum
    x[1, 2, 2:, 4:] = -0.25
    result = gradcheck(mt.MaxPool2x2(), x, max_checks=x.size)
    assert result.passed
    assert result.kinks["input"] == 8
    assert result.checked["input"] == x.size - 8
