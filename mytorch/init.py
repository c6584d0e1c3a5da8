"""Parameter initialisers. Each fills an array in place from a ``numpy.random.Generator``
(default: the one seeded by ``mytorch.manual_seed``) and returns it.

Example:
    >>> w = np.empty((128, 784), np.float32)
    >>> glorot_uniform_(w, rng=np.random.default_rng(0))
"""
from __future__ import annotations

import math

import numpy as np

from .random import resolve


def calculate_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) as PyTorch computes them: (in * receptive, out * receptive)."""
    if len(shape) < 2:
        raise ValueError(f"fans need a weight of at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def uniform_(array: np.ndarray, low: float, high: float, rng=None) -> np.ndarray:
    """Fill with U(low, high)."""
    array[...] = resolve(rng).uniform(low, high, size=array.shape)
    return array


def normal_(array: np.ndarray, std: float, mean: float = 0.0, rng=None) -> np.ndarray:
    """Fill with N(mean, std^2)."""
    array[...] = resolve(rng).normal(mean, std, size=array.shape)
    return array


def zeros_(array: np.ndarray) -> np.ndarray:
    """Fill with 0."""
    array[...] = 0
    return array


def ones_(array: np.ndarray) -> np.ndarray:
    """Fill with 1."""
    array[...] = 1
    return array


def glorot_uniform_(array: np.ndarray, fan_in: int | None = None, fan_out: int | None = None,
                    rng=None) -> np.ndarray:
    """Glorot (Xavier) uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).
    Fans default to PyTorch's; pass them to reproduce another framework's choice."""
    default_in, default_out = calculate_fans(array.shape)
    limit = math.sqrt(6.0 / ((fan_in or default_in) + (fan_out or default_out)))
    return uniform_(array, -limit, limit, rng)


def he_normal_(array: np.ndarray, fan_in: int | None = None, rng=None) -> np.ndarray:
    """He (Kaiming) normal: N(0, 2 / fan_in)."""
    fan_in = fan_in or calculate_fans(array.shape)[0]
    return normal_(array, math.sqrt(2.0 / fan_in), rng=rng)


def kaiming_uniform_(array: np.ndarray, a: float = 0.0, fan_in: int | None = None,
                     rng=None) -> np.ndarray:
    """torch.nn.init.kaiming_uniform_ (leaky_relu gain): U(-b, b), b = gain * sqrt(3 / fan_in)."""
    fan_in = fan_in or calculate_fans(array.shape)[0]
    gain = math.sqrt(2.0 / (1.0 + a * a))
    bound = gain * math.sqrt(3.0 / fan_in)
    return uniform_(array, -bound, bound, rng)


def torch_default_(weight: np.ndarray, bias: np.ndarray | None, rng=None) -> None:
    """What torch.nn.Linear and Conv2d do on construction: kaiming_uniform(a=sqrt(5)) for
    the weight, U(+-1/sqrt(fan_in)) for the bias."""
    rng = resolve(rng)
    kaiming_uniform_(weight, a=math.sqrt(5.0), rng=rng)
    if bias is not None:
        bound = 1.0 / math.sqrt(calculate_fans(weight.shape)[0])
        uniform_(bias, -bound, bound, rng)
