"""Fully connected layer: y = x @ weight.T + bias, with weight stored (out, in) as PyTorch."""
from __future__ import annotations

from numba import prange

from ._jit import kernel


@kernel(parallel=True)
def dense_forward(x, weight, bias, out):
    """out[n, o] = bias[o] + dot(x[n], weight[o]); four outputs share each load of x."""
    n_batch, in_features = x.shape
    out_features = weight.shape[0]
    for n in prange(n_batch):
        xn = x[n]
        for o0 in range(0, out_features - 3, 4):
            w0 = weight[o0]
            w1 = weight[o0 + 1]
            w2 = weight[o0 + 2]
            w3 = weight[o0 + 3]
            s0 = bias[o0]
            s1 = bias[o0 + 1]
            s2 = bias[o0 + 2]
            s3 = bias[o0 + 3]
            for k in range(in_features):
                v = xn[k]
                s0 += v * w0[k]
                s1 += v * w1[k]
                s2 += v * w2[k]
                s3 += v * w3[k]
            out[n, o0] = s0
            out[n, o0 + 1] = s1
            out[n, o0 + 2] = s2
            out[n, o0 + 3] = s3
        for o in range(out_features - out_features % 4, out_features):
            wo = weight[o]
            s = bias[o]
            for k in range(in_features):
                s += xn[k] * wo[k]
            out[n, o] = s


@kernel(parallel=True)
def dense_backward_input(grad_out, weight, grad_x):
    """grad_x[n] = sum_o grad_out[n, o] * weight[o]."""
    n_batch, out_features = grad_out.shape
    for n in prange(n_batch):
        dx = grad_x[n]
        dx[:] = 0.0
        for o in range(out_features):
            g = grad_out[n, o]
            wo = weight[o]
            for k in range(dx.shape[0]):
                dx[k] += g * wo[k]


@kernel(parallel=True)
def dense_backward_params(grad_out, x, grad_weight, grad_bias):
    """grad_weight[o] = sum_n grad_out[n, o] * x[n]; grad_bias[o] = sum_n grad_out[n, o].

    One thread owns each output row and sums the batch in order (deterministic)."""
    n_batch, out_features = grad_out.shape
    for o in prange(out_features):
        dw = grad_weight[o]
        dw[:] = 0.0
        b = grad_out[0, o] * 0.0
        for n in range(n_batch):
            g = grad_out[n, o]
            b += g
            xn = x[n]
            for k in range(dw.shape[0]):
                dw[k] += g * xn[k]
        grad_bias[o] = b
