"""Batch normalisation for (N, C) and (N, C, H, W) input, PyTorch's BatchNorm1d/2d."""
from __future__ import annotations

import numpy as np

from ..kernels import batchnorm as k
from ..kernels._jit import sized
from .base import Layer, new_param


class BatchNorm(Layer):
    """y = weight * (x - mean) / sqrt(var + eps) + bias, per channel (axis 1).

    Training normalises with the biased batch variance and updates the running
    statistics as ``running = (1 - momentum) * running + momentum * batch``; inference
    uses the running statistics.

    Args:
        num_features: channel count C.
        eps: added to the variance (PyTorch 1e-5).
        momentum: weight of the new batch in the running statistics (PyTorch 0.1).
        unbiased_running_var: store the unbiased (n/(n-1)) batch variance in running_var,
            as PyTorch does (True), or the biased one, as the original MyCNN did (False).
        dtype: parameter dtype.

    The original MyCNN's variant is ``BatchNorm(c, eps=1e-3, momentum=0.1,
    unbiased_running_var=False)``.

    Example:
        >>> bn = BatchNorm(8)
        >>> bn(np.random.rand(4, 8, 5, 5).astype(np.float32)).shape
        (4, 8, 5, 5)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 unbiased_running_var: bool = True, dtype=np.float32):
        super().__init__()
        self.num_features = int(num_features)
        if eps <= 0 or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm: expected eps > 0 and 0 <= momentum <= 1, "
                             f"got eps={eps}, momentum={momentum}")
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.unbiased_running_var = bool(unbiased_running_var)
        self.params["weight"] = new_param((num_features,), dtype) + 1
        self.params["bias"] = new_param((num_features,), dtype)
        self.grads = {name: np.zeros_like(v) for name, v in self.params.items()}
        self.buffers["running_mean"] = new_param((num_features,), dtype)
        self.buffers["running_var"] = new_param((num_features,), dtype) + 1
        self._cache: tuple | None = None

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        self._check_input(x, (2, 4), f"(N, {self.num_features}) or (N, {self.num_features}, H, W)")
        if x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm: expected {self.num_features} channels on axis 1, "
                             f"got shape {x.shape}")
        x3 = np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)
        count = x3.shape[0] * x3.shape[2]
        if training and count < 2:
            raise ValueError(f"BatchNorm: training needs more than one value per channel, "
                             f"got input of shape {x.shape}")
        out = np.empty_like(x3)
        w, b = self.params["weight"], self.params["bias"]
        rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
        if training:
            x_hat = np.empty_like(x3)
            inv_std = np.empty(self.num_features, np.float64)
            sized(k.batchnorm_forward_train, 3 * x3.size)(  # three passes
                x3, w, b, self.eps, self.momentum, self.unbiased_running_var, rm, rv, out, x_hat,
                inv_std)
            self._cache = (True, x_hat, inv_std, x.shape)
        else:
            sized(k.batchnorm_forward_eval, x3.size)(x3, w, b, rm, rv, self.eps, out)
            self._cache = (False, x3, None, x.shape)
        return self._remember_output(out.reshape(x.shape))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._cache)
        training, saved, inv_std, shape = self._cache
        g3 = grad_output.reshape(shape[0], shape[1], -1)
        grad_x = np.empty_like(g3)
        w, gw, gb = self.params["weight"], self.grads["weight"], self.grads["bias"]
        if training:
            sized(k.batchnorm_backward_train, 2 * g3.size)(g3, saved, w, inv_std, grad_x, gw, gb)
        else:
            rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
            sized(k.batchnorm_backward_eval, g3.size)(g3, saved, w, rm, rv, self.eps, grad_x,
                                                      gw, gb)
        return grad_x.reshape(shape)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"unbiased_running_var={self.unbiased_running_var}")
