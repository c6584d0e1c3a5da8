"""Parameter-free activations: ReLU and Softmax."""
from __future__ import annotations

import numpy as np

from ..kernels._jit import sized
from ..kernels.activation import relu_backward, relu_forward, softmax_backward, softmax_forward
from .base import Layer


class ReLU(Layer):
    """y = max(x, 0), any shape. The gradient at exactly 0 is 0, as in PyTorch.

    Example:
        >>> ReLU()(np.array([[-1.0, 2.0]])).tolist()
        [[0.0, 2.0]]
    """

    def __init__(self) -> None:
        super().__init__()
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        self._check_input(x, (1, 2, 3, 4, 5), "of any shape")
        x = np.ascontiguousarray(x)  # the kernel walks x and out flat, in one (C) order
        out = np.empty_like(x)
        sized(relu_forward, x.size)(x, out)
        self._out = out
        return self._remember_output(out)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._out)
        grad_x = np.empty_like(grad_output)
        sized(relu_backward, grad_x.size)(grad_output, self._out, grad_x)
        return grad_x


class Softmax(Layer):
    """Row-wise softmax over the last axis of (N, K) input, stable (subtracts the row max).

    For training a classifier prefer ``CrossEntropyLoss`` on the logits: it fuses the two.

    Example:
        >>> Softmax()(np.zeros((1, 4))).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """

    def __init__(self) -> None:
        super().__init__()
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        self._check_input(x, (2,), "(N, K)")
        x = np.ascontiguousarray(x)
        out = np.empty_like(x)
        sized(softmax_forward, x.size)(x, out)
        self._out = out
        return self._remember_output(out)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._out)
        grad_x = np.empty_like(grad_output)
        sized(softmax_backward, grad_x.size)(grad_output, self._out, grad_x)
        return grad_x
