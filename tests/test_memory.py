"""The training step does not grow memory: buffers are reused from step to step."""
from __future__ import annotations

import tracemalloc

import numpy as np

from mytorch.presets import MyCNN
from mytorch.training import train_step


def test_training_steps_do_not_grow_memory():
    preset = MyCNN(progress=False)
    model = preset.initialize()
    criterion = preset.criterion()
    rng = np.random.default_rng(0)
    x = preset.preprocess(rng.integers(0, 255, (64, 28, 28), dtype=np.uint8))
    y = rng.integers(0, 10, 64)
    for _ in range(5):  # settle: scratch buffers, optimizer state
        train_step(model, criterion, preset.optimizer, x[:32], y[:32])
    tracemalloc.start()
    try:
        train_step(model, criterion, preset.optimizer, x[32:], y[32:])
        settled, _ = tracemalloc.get_traced_memory()
        for i in range(40):
            train_step(model, criterion, preset.optimizer, x[(i % 2) * 32:][:32], y[(i % 2) * 32:][:32])
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current - settled < 64 * 1024, (settled, current)
    assert peak < 64 * 1024 * 1024  # one step's temporaries stay far below 64 MiB
