"""2x2 max pooling with stride 2, PyTorch's nn.MaxPool2d(2)."""
from __future__ import annotations

import numpy as np

from ..kernels._jit import sized
from ..kernels.pool import maxpool2x2_backward, maxpool2x2_forward
from .base import Layer


class MaxPool2x2(Layer):
    """Maximum over each 2x2 window, stride 2. Odd heights and widths drop the last
    row/column (floor), as PyTorch. On ties the first maximum (row-major) gets the gradient.

    Input shape (N, C, H, W); output shape (N, C, H // 2, W // 2).

    Example:
        >>> MaxPool2x2()(np.zeros((1, 8, 28, 28), np.float32)).shape
        (1, 8, 14, 14)
    """

    def __init__(self) -> None:
        super().__init__()
        self._argmax: np.ndarray | None = None
        self._input_shape: tuple[int, ...] | None = None

    def output_shape(self, input_shape):
        n, c, height, width = input_shape
        return (n, c, height // 2, width // 2)

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        self._check_input(x, (4,), "(N, C, H, W)")
        if x.shape[2] < 2 or x.shape[3] < 2:
            raise ValueError(f"MaxPool2x2: expected H and W of at least 2, got shape {x.shape}")
        shape = self.output_shape(x.shape)
        out = np.empty(shape, x.dtype)
        if self._argmax is None or self._argmax.shape != shape:
            self._argmax = np.empty(shape, np.uint8)
        sized(maxpool2x2_forward, x.size)(np.ascontiguousarray(x), out, self._argmax)
        self._input_shape = x.shape
        return self._remember_output(out)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._input_shape)
        grad_x = np.empty(self._input_shape, grad_output.dtype)
        sized(maxpool2x2_backward, grad_x.size)(grad_output, self._argmax, grad_x)
        return grad_x
