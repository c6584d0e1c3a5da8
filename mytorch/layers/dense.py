"""Dense (fully connected) layer, PyTorch's nn.Linear."""
from __future__ import annotations

import numpy as np

from .. import init
from ..kernels._jit import product_work, sized
from ..kernels.dense import column_sums, dense_forward, matmul_rows
from .base import Layer, new_param

# x @ weight.T has two kernels. dense_forward takes dot products along the input rows, which
# suits long rows or few samples. For a batch of at least ROWS_BATCH samples, rows of at
# most SHORT_ROWS inputs and at least MIN_OUTPUTS outputs, matmul_rows on the transposed
# weight (vectorised along the outputs) is faster, and the transpose is cheap. Measured on
# one thread, 256 samples: 75->25 37 vs 15 us, 75->128 173 vs 50 us, 256->128 231 vs 156 us;
# 16 samples: about even once the transpose is paid; 784 inputs: dense_forward wins.
ROWS_BATCH = 64
SHORT_ROWS = 256
MIN_OUTPUTS = 16
_NO_BIAS = {np.dtype(t): np.zeros(0, t) for t in (np.float32, np.float64)}


class Dense(Layer):
    """y = x @ weight.T + bias.

    Args:
        in_features: size of each input row.
        out_features: size of each output row.
        dtype: parameter dtype (float32 by default).
        rng: generator for PyTorch's default init (default: ``mytorch.manual_seed``'s).

    Input shape (N, in_features); output shape (N, out_features).

    Example:
        >>> layer = Dense(784, 10)
        >>> layer(np.zeros((2, 784), np.float32)).shape
        (2, 10)
    """

    def __init__(self, in_features: int, out_features: int, dtype=np.float32, rng=None):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.params["weight"] = new_param((out_features, in_features), dtype)
        self.params["bias"] = new_param((out_features,), dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        init.torch_default_(self.params["weight"], self.params["bias"], rng)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        self._check_input(x, (2,), f"(N, {self.in_features})")
        if x.shape[1] != self.in_features:
            raise ValueError(f"Dense: expected input (N, {self.in_features}), got shape {x.shape}")
        self._x = np.ascontiguousarray(x)
        out = np.empty((x.shape[0], self.out_features), dtype=x.dtype)
        weight, bias = self.params["weight"], self.params["bias"]
        work = product_work(out.size * self.in_features)
        if (x.shape[0] >= ROWS_BATCH and self.in_features <= SHORT_ROWS
                and self.out_features >= MIN_OUTPUTS):
            sized(matmul_rows, work)(self._x, False, np.ascontiguousarray(weight.T), bias, out)
        else:
            sized(dense_forward, work)(self._x, weight, bias, out)
        return self._remember_output(out)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._x)
        self._param_grads(grad_output)
        grad_x = np.empty_like(self._x)  # grad_output @ weight
        sized(matmul_rows, product_work(grad_output.size * self.in_features))(
            grad_output, False, self.params["weight"], _NO_BIAS[grad_x.dtype], grad_x)
        return grad_x

    def backward_params(self, grad_output: np.ndarray) -> None:
        """Weight and bias gradients only."""
        self._param_grads(self._check_grad(grad_output, self._x))

    def _param_grads(self, grad_output: np.ndarray) -> None:
        sized(matmul_rows, product_work(grad_output.size * self.in_features))(  # grad_output.T @ x
            grad_output, True, self._x, _NO_BIAS[grad_output.dtype], self.grads["weight"])
        column_sums(grad_output, self.grads["bias"])

    def output_shape(self, input_shape):
        return (input_shape[0], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
