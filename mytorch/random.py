"""The default random generator, seeded by ``manual_seed`` like ``torch.manual_seed``."""
from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator that layers and initialisers use when given no ``rng``."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator used where no ``rng`` is passed."""
    return _generator


def resolve(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Accept a Generator, a seed, or None (the default generator)."""
    if rng is None:
        return _generator
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)
