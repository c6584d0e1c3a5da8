"""Dense (fully connected) layer, PyTorch's nn.Linear."""
from __future__ import annotations

import functools

import numpy as np

from .. import init
from ..kernels._jit import sized
from ..kernels.conv import BLOCK, correlate
from ..kernels.dense import dense_forward
from .base import Layer, new_param


@functools.lru_cache(maxsize=64)
def _taps(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Tap tables for a product over k: tap i reads row i (shift 0); k is padded to BLOCK
    with taps that read row 0 and get weight 0."""
    taps = -(-k // BLOCK) * BLOCK
    channel = np.zeros(taps, np.int64)
    channel[:k] = np.arange(k)
    return channel, np.zeros(taps, np.int64)


@functools.lru_cache(maxsize=64)
def _no_bias(m: int, dtype: np.dtype) -> np.ndarray:
    """A zero bias for correlate (read only, so one array serves every call)."""
    return np.zeros(m, dtype)


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = a (M, K) @ b (K, P) on the convolution kernel: a matrix product is a
    correlation whose taps are the K rows of b, weighted by the columns of a."""
    m, k = a.shape
    channel, shift = _taps(k)
    if len(channel) != k or not a.flags.c_contiguous:
        padded = np.zeros((m, len(channel)), a.dtype)
        padded[:, :k] = a
        a = padded
    p = out.shape[1]
    sized(correlate, m * len(channel) * p)(b[None], channel, shift, a, _no_bias(m, a.dtype), p,
                                           0, out.reshape(1, m, 1, p))
    return out


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
        sized(dense_forward, out.size * self.in_features)(self._x, self.params["weight"],
                                                            self.params["bias"], out)
        return self._remember_output(out)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._x)
        self.backward_params(grad_output)
        return _matmul(grad_output, self.params["weight"], np.empty_like(self._x))

    def backward_params(self, grad_output: np.ndarray) -> None:
        """Weight and bias gradients only."""
        grad_output = self._check_grad(grad_output, self._x)
        _matmul(grad_output.T, self._x, self.grads["weight"])
        np.sum(grad_output, axis=0, out=self.grads["bias"])

    def output_shape(self, input_shape):
        return (input_shape[0], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
