"""Shared helpers for the core tests: tolerances, the MyCNN architecture and its PyTorch twin.

Torch is imported lazily so that tests which do not need it run without it; every file
that compares with PyTorch calls ``pytest.importorskip("torch")`` itself.
"""
from __future__ import annotations

import numpy as np
import pytest

import mytorch as mt

# Relative tolerance per dtype; the absolute floor is this times the largest magnitude of
# the expected array, so entries near zero of a large array are judged on its scale.
RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}
ATOL_FACTOR = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}


def assert_close(actual, expected, dtype=None, atol_factor: float | None = None, err_msg=""):
    """assert_allclose with the dtype's rtol and an atol scaled to max|expected|."""
    actual = np.asarray(actual)
    expected = np.asarray(expected.detach().numpy() if hasattr(expected, "detach") else expected)
    dtype = np.dtype(dtype or actual.dtype)
    factor = ATOL_FACTOR[dtype] if atol_factor is None else atol_factor
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=RTOL[dtype],
                               atol=factor * max(scale, 1e-30), err_msg=err_msg)


def mycnn(height: int = 28, width: int = 28, dtype=np.float32, **bn) -> mt.Sequential:
    """The documented MyCNN, without the final softmax (the loss takes logits)."""
    return mt.Sequential(
        mt.Conv2D(1, 8, 5, padding="same", dtype=dtype), mt.ReLU(), mt.MaxPool2x2(),
        mt.BatchNorm(8, dtype=dtype, **bn),
        mt.Conv2D(8, 16, 5, padding="same", dtype=dtype), mt.ReLU(), mt.MaxPool2x2(),
        mt.BatchNorm(16, dtype=dtype, **bn),
        mt.Flatten(), mt.Dense(16 * (height // 4) * (width // 4), 128, dtype=dtype), mt.ReLU(),
        mt.BatchNorm(128, dtype=dtype, **bn), mt.Dense(128, 10, dtype=dtype))


def torch_mycnn(height: int = 28, width: int = 28, seed: int = 0):
    """PyTorch's MyCNN with the same layer indices (so state_dict keys match ours), default
    BatchNorm settings, and random affine parameters and running statistics so that eval
    mode and the affine gradients are exercised with non-trivial values."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(8),
        nn.Conv2d(8, 16, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(16),
        nn.Flatten(), nn.Linear(16 * (height // 4) * (width // 4), 128), nn.ReLU(),
        nn.BatchNorm1d(128), nn.Linear(128, 10))
    with torch.no_grad():
        for module in model:
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator with a fixed seed for each test."""
    return np.random.default_rng(1234)
