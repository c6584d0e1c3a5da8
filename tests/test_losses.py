"""CrossEntropyLoss and MSELoss against torch.nn.functional, value and gradient."""
from __future__ import annotations

import numpy as np
import pytest

import mytorch as mt
from conftest import assert_close

torch = pytest.importorskip("torch")
F = torch.nn.functional

DTYPES = [np.float64, np.float32]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, scale", [((1, 10), 1.0), ((6, 3), 4.0), ((5, 10), 1e4)],
                         ids=["batch1", "small", "logits1e4"])
def test_cross_entropy_matches_torch(shape, scale, dtype, reduction, rng):
    logits = (rng.standard_normal(shape) * scale).astype(dtype)
    labels = rng.integers(0, shape[1], shape[0])
    criterion = mt.CrossEntropyLoss(reduction)
    loss = criterion(logits, labels)
    grad = criterion.backward()

    logits_t = torch.from_numpy(logits.copy()).requires_grad_()
    loss_t = F.cross_entropy(logits_t, torch.from_numpy(labels), reduction=reduction)
    loss_t.backward()

    assert isinstance(loss, float) and np.isfinite(loss)
    assert grad.dtype == dtype and grad.shape == shape and np.all(np.isfinite(grad))
    assert_close(np.array(loss, dtype), loss_t)
    assert_close(grad, logits_t.grad)


def test_cross_entropy_does_not_overflow_on_huge_logits():
    """exp(1e4) overflows even float64; subtracting the row maximum avoids it."""
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4 - 1.0]], np.float32)
    criterion = mt.CrossEntropyLoss("sum")
    loss = criterion(logits, np.array([0, 2]))
    p = 1.0 / (1.0 + np.exp(-1.0))  # softmax of the second row over its two top entries
    np.testing.assert_allclose(loss, 0.0 + np.log1p(np.exp(1.0)), rtol=1e-6)
    np.testing.assert_allclose(criterion.backward(), [[0, 0, 0], [0, p, -p]], atol=1e-6)


def test_cross_entropy_accepts_any_integer_labels(rng):
    logits = rng.standard_normal((4, 5))
    expected = mt.CrossEntropyLoss()(logits, np.array([0, 4, 2, 1]))
    for labels in (np.array([0, 4, 2, 1], np.int32), np.array([0, 4, 2, 1], np.uint8),
                   [0, 4, 2, 1]):
        assert mt.CrossEntropyLoss()(logits, labels) == expected


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (2, 3, 4, 5)])
def test_mse_matches_torch(shape, dtype, reduction, rng):
    output = rng.standard_normal(shape).astype(dtype)
    target = rng.standard_normal(shape).astype(dtype)
    criterion = mt.MSELoss(reduction)
    loss = criterion(output, target)
    grad = criterion.backward()

    output_t = torch.from_numpy(output.copy()).requires_grad_()
    loss_t = F.mse_loss(output_t, torch.from_numpy(target), reduction=reduction)
    loss_t.backward()

    assert isinstance(loss, float)
    assert grad.dtype == dtype and grad.shape == shape
    assert_close(np.array(loss, dtype), loss_t)
    assert_close(grad, output_t.grad)
