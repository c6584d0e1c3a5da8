"""Flatten: (N, C, H, W) -> (N, C*H*W), channel-major like PyTorch's NCHW flatten."""
from __future__ import annotations

import math

import numpy as np

from .base import Layer


class Flatten(Layer):
    """Keep the batch axis, flatten the rest in C order.

    Example:
        >>> Flatten()(np.zeros((2, 16, 7, 7), np.float32)).shape
        (2, 784)
    """

    def __init__(self) -> None:
        super().__init__()
        self._input_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        self._check_input(x, (2, 3, 4, 5), "(N, ...)")
        self._input_shape = x.shape
        return self._remember_output(np.ascontiguousarray(x).reshape(x.shape[0], -1))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._input_shape)
        return grad_output.reshape(self._input_shape)

    def output_shape(self, input_shape):
        return (input_shape[0], math.prod(input_shape[1:]))
