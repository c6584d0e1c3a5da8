"""Fully connected forward pass: y = x @ weight.T + bias, weight stored (out, in) as in
PyTorch. (The backward products run on the convolution kernel: see layers/dense.py.)"""
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
