"""2x2 max pooling with stride 2; odd trailing rows and columns are dropped, as in PyTorch."""
from __future__ import annotations

from numba import prange

from ._jit import kernel


@kernel(parallel=True)
def maxpool2x2_forward(x, out, argmax):
    """out[n,c,i,j] = max of the 2x2 window at (2i, 2j); argmax holds 0..3, the position
    of the first maximum in row-major order (PyTorch's choice on ties; a NaN wins, so it
    propagates). Selects instead of branches keep the loop free of mispredictions."""
    n_batch, channels, out_h, out_w = out.shape
    for task in prange(n_batch * channels):
        n, c = task // channels, task % channels
        for i in range(out_h):
            top, bottom = x[n, c, 2 * i], x[n, c, 2 * i + 1]
            row_out, row_arg = out[n, c, i], argmax[n, c, i]
            for j in range(out_w):
                a, b = top[2 * j], top[2 * j + 1]
                lower_left, lower_right = bottom[2 * j], bottom[2 * j + 1]
                take = (b > a) | (b != b)
                best = b if take else a
                k = 1 if take else 0
                take = (lower_left > best) | (lower_left != lower_left)
                best = lower_left if take else best
                k = 2 if take else k
                take = (lower_right > best) | (lower_right != lower_right)
                row_out[j] = lower_right if take else best
                row_arg[j] = 3 if take else k


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
