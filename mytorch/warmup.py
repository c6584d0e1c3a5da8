"""Compile (or load from Numba's on-disk cache) every kernel before the first real step."""
from __future__ import annotations

import itertools
import sys
import time

import numpy as np

from .kernels._jit import serial_below
from .kernels.conv import WIDE


def warmup(dtypes=(np.float32,)) -> float:
    """Run every layer, loss, optimizer and the augmentation on tiny inputs, once with the
    parallel kernels and once with their one-thread twins, so that each kernel is compiled
    for these dtypes (or loaded from the cache, which is much faster) now rather than in
    the middle of training. Returns the seconds it took.

    Numba caches compiled kernels beside the package, or, where that directory is not
    writable, in the user's cache directory (``~/.cache/numba``, or ``$NUMBA_CACHE_DIR``).
    """
    from .data.augment import random_affine

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    for dtype, limit in itertools.product(dtypes, (0, sys.maxsize)):
        with serial_below(limit):  # 0: every kernel parallel; maxsize: every one serial
            _run_every_kernel(dtype, rng)
            random_affine(rng.random((2, 4, 4)).astype(dtype), rng=rng)
            random_affine(rng.integers(0, 255, (2, 4, 4), dtype=np.uint8), rng=rng)
    return time.perf_counter() - start


def _run_every_kernel(dtype, rng: np.random.Generator) -> None:
    from . import layers as L
    from .losses import CrossEntropyLoss, MSELoss
    from .optim import SGD, Adam
    from .sequential import Sequential

    # WIDE or more channels take the convolution's other kernels (forward, both gradients)
    model = Sequential(
        L.Conv2D(1, 2, 3, padding="same", dtype=dtype, rng=rng), L.ReLU(), L.MaxPool2x2(),
        L.BatchNorm(2, dtype=dtype), L.Conv2D(2, WIDE, 1, stride=2, dtype=dtype, rng=rng),
        L.Conv2D(WIDE, 2, 1, dtype=dtype, rng=rng),
        L.Flatten(), L.Dense(2, 3, dtype=dtype, rng=rng), L.ReLU(),
        L.BatchNorm(3, dtype=dtype), L.Softmax())
    x = rng.random((2, 1, 4, 4)).astype(dtype)
    for training in (True, False):
        y = model.forward(x, training)
        model.backward(np.ones_like(y), input_grad=True)
        model.backward(np.ones_like(y), input_grad=False)
    CrossEntropyLoss()(y, np.array([0, 2]))
    MSELoss()(y, np.zeros_like(y))
    for optimizer in (SGD(model.parameters(), lr=0.1, momentum=0.9),
                      Adam(model.parameters()), Adam(model.parameters(), eps_hat=True)):
        optimizer.step()
