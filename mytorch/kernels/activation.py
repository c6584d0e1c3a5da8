"""Element-wise and row-wise activations: ReLU and a numerically stable softmax."""
from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel


@kernel(parallel=True)
def relu_forward(x, out):
    """out = max(x, 0) over the flattened arrays (NaN stays NaN)."""
    xf = x.reshape(-1)
    of = out.reshape(-1)
    for i in prange(xf.shape[0]):
        v = xf[i]
        of[i] = v if not v <= 0.0 else 0.0


@kernel(parallel=True)
def relu_backward(grad_out, out, grad_x):
    """grad_x = grad_out where the output was positive, else 0 (PyTorch's choice at 0)."""
    gf = grad_out.reshape(-1)
    of = out.reshape(-1)
    df = grad_x.reshape(-1)
    for i in prange(gf.shape[0]):
        df[i] = gf[i] if of[i] > 0.0 else 0.0


@kernel
def _exp_shifted(row, out):
    """out = exp(row - max(row)); returns (max(row), sum(out)). Subtracting the maximum
    keeps exp from overflowing: the largest term is exactly 1."""
    m = row[0]
    for k in range(1, row.shape[0]):
        if row[k] > m:
            m = row[k]
    total = 0.0
    for k in range(row.shape[0]):
        e = np.exp(row[k] - m)
        out[k] = e
        total += e
    return m, total


@kernel(parallel=True)
def softmax_forward(x, out):
    """Row-wise softmax of a (N, K) array, stable for any logits."""
    for n in prange(x.shape[0]):
        o = out[n]
        _, total = _exp_shifted(x[n], o)
        inv = 1.0 / total
        for k in range(o.shape[0]):
            o[k] *= inv


@kernel(parallel=True)
def softmax_backward(grad_out, out, grad_x):
    """grad_x = y * (g - sum(g * y)) row by row, the Jacobian-vector product of softmax."""
    for n in prange(grad_out.shape[0]):
        g = grad_out[n]
        y = out[n]
        dot = 0.0
        for k in range(g.shape[0]):
            dot += g[k] * y[k]
        d = grad_x[n]
        for k in range(g.shape[0]):
            d[k] = y[k] * (g[k] - dot)
