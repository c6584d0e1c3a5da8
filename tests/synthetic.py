"""A small learnable image set: class k is a bright square at a class-specific place."""
from __future__ import annotations

import numpy as np


def make_images(n: int, num_classes: int = 10, size: int = 28, seed: int = 0):
    """(images uint8 (n, size, size), labels int64 (n,)), noisy but easy to classify."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, n)
    images = rng.integers(0, 60, (n, size, size)).astype(np.uint8)
    rows = (labels // 4) * (size // 4) + 1
    cols = (labels % 4) * (size // 4) + 1
    side = size // 5
    for offset_r in range(side):
        for offset_c in range(side):
            images[np.arange(n), rows + offset_r, cols + offset_c] = 220
    return images, labels
