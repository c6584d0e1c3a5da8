"""2x2 max pooling with stride 2; odd trailing rows and columns are dropped, as in PyTorch."""
from __future__ import annotations

from numba import prange

from ._jit import kernel


@kernel(parallel=True)
def maxpool2x2_forward(x, out, argmax):
    """out[n,c,i,j] = max of the 2x2 window at (2i, 2j); argmax holds 0..3, the position
    of the first maximum in row-major order (PyTorch's choice on ties)."""
    n_batch, channels, out_h, out_w = out.shape
    for n in prange(n_batch):
        for c in range(channels):
            for i in range(out_h):
                top = x[n, c, 2 * i]
                bottom = x[n, c, 2 * i + 1]
                for j in range(out_w):
                    best = top[2 * j]
                    k = 0
                    v = top[2 * j + 1]
                    if v > best or v != v:
                        best = v
                        k = 1
                    v = bottom[2 * j]
                    if v > best or v != v:
                        best = v
                        k = 2
                    v = bottom[2 * j + 1]
                    if v > best or v != v:
                        best = v
                        k = 3
                    out[n, c, i, j] = best
                    argmax[n, c, i, j] = k


@kernel(parallel=True)
def maxpool2x2_backward(grad_out, argmax, grad_x):
    """Route each output gradient to the input position that won the max; grad_x is
    overwritten (positions that never won, including dropped odd edges, get 0)."""
    n_batch, channels, out_h, out_w = grad_out.shape
    for n in prange(n_batch):
        grad_x[n] = 0.0
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    k = argmax[n, c, i, j]
                    grad_x[n, c, 2 * i + k // 2, 2 * j + k % 2] = grad_out[n, c, i, j]
