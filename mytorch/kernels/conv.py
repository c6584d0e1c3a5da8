"""2-D convolution kernels on a zero-padded "grid" layout.

The layer copies the input into a padded buffer ``x_pad`` of shape (N, C, Hp*Wp + slack)
and computes the stride-1 output on a grid of (OH, Wp) positions per channel, flattened
to length ``OH*Wp``. Output column ``ow >= OW`` of each grid row is junk that the layer
drops. With that layout each tap (kh, kw) of the kernel is one long contiguous
multiply-add over the whole plane, which LLVM vectorises well; working on rows of 14 or
28 pixels would not.

Every kernel is written for stride 1. Larger strides are handled by the layer as a
stride-1 convolution followed by subsampling.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel

_BLOCK = 4  # channels that share one load of the input (register blocking)


@kernel(parallel=True)
def pad_input(x, pad_h, pad_w, wp, x_pad):
    """Copy x (N, C, H, W) into the interior of x_pad (N, C, Hp*Wp + slack), row width wp;
    the border stays zero (the caller zeroes the buffer once when it allocates it)."""
    n_batch, channels, height, width = x.shape
    for n in prange(n_batch):
        for c in range(channels):
            for h in range(height):
                start = (h + pad_h) * wp + pad_w
                x_pad[n, c, start:start + width] = x[n, c, h]


@kernel(parallel=True)
def conv_forward_grid(x_pad, weight, bias, wp, out_grid):
    """out_grid[n, o, p] = bias[o] + sum_{c,kh,kw} weight[o,c,kh,kw] * x_pad[n, c, p + kh*wp + kw]."""
    n_batch, in_channels, _ = x_pad.shape
    out_channels, _, kh_size, kw_size = weight.shape
    length = out_grid.shape[2]
    acc = np.empty((n_batch, _BLOCK, length), dtype=out_grid.dtype)
    for n in prange(n_batch):
        for o0 in range(0, out_channels, _BLOCK):
            nb = min(_BLOCK, out_channels - o0)
            for j in range(_BLOCK):
                acc[n, j, :] = bias[o0 + j] if j < nb else 0.0
            a0 = acc[n, 0]
            a1 = acc[n, 1]
            a2 = acc[n, 2]
            a3 = acc[n, 3]
            for c in range(in_channels):
                for kh in range(kh_size):
                    for kw in range(kw_size):
                        shift = kh * wp + kw
                        src = x_pad[n, c, shift:shift + length]
                        w0 = weight[o0, c, kh, kw]
                        w1 = weight[o0 + 1, c, kh, kw] if nb > 1 else 0.0
                        w2 = weight[o0 + 2, c, kh, kw] if nb > 2 else 0.0
                        w3 = weight[o0 + 3, c, kh, kw] if nb > 3 else 0.0
                        for p in range(length):
                            v = src[p]
                            a0[p] += w0 * v
                            a1[p] += w1 * v
                            a2[p] += w2 * v
                            a3[p] += w3 * v
            for j in range(nb):
                out_grid[n, o0 + j, :] = acc[n, j]


@kernel(parallel=True)
def conv_backward_input_grid(grad_grid, weight, wp, grad_x_pad):
    """grad_x_pad[n, c, p + kh*wp + kw] += weight[o,c,kh,kw] * grad_grid[n, o, p].

    grad_grid must be zero in its junk columns; grad_x_pad is overwritten."""
    n_batch, out_channels, length = grad_grid.shape
    _, in_channels, kh_size, kw_size = weight.shape
    for n in prange(n_batch):
        grad_x_pad[n, :, :] = 0.0
        for c0 in range(0, in_channels, _BLOCK):
            nb = min(_BLOCK, in_channels - c0)
            for o in range(out_channels):
                g = grad_grid[n, o]
                for kh in range(kh_size):
                    for kw in range(kw_size):
                        shift = kh * wp + kw
                        w0 = weight[o, c0, kh, kw]
                        d0 = grad_x_pad[n, c0, shift:shift + length]
                        if nb == _BLOCK:
                            w1 = weight[o, c0 + 1, kh, kw]
                            w2 = weight[o, c0 + 2, kh, kw]
                            w3 = weight[o, c0 + 3, kh, kw]
                            d1 = grad_x_pad[n, c0 + 1, shift:shift + length]
                            d2 = grad_x_pad[n, c0 + 2, shift:shift + length]
                            d3 = grad_x_pad[n, c0 + 3, shift:shift + length]
                            for p in range(length):
                                v = g[p]
                                d0[p] += w0 * v
                                d1[p] += w1 * v
                                d2[p] += w2 * v
                                d3[p] += w3 * v
                        else:
                            for j in range(nb):
                                wj = weight[o, c0 + j, kh, kw]
                                dj = grad_x_pad[n, c0 + j, shift:shift + length]
                                for p in range(length):
                                    dj[p] += wj * g[p]


@kernel(parallel=True)
def conv_backward_weight_grid(grad_grid, x_pad, wp, grad_weight, grad_bias):
    """grad_weight[o,c,kh,kw] = sum_{n,p} grad_grid[n,o,p] * x_pad[n, c, p + kh*wp + kw].

    Each output channel is reduced by one thread, over the batch in order, so the sum
    is bit-identical whatever the thread count."""
    n_batch, out_channels, length = grad_grid.shape
    _, in_channels, kh_size, kw_size = grad_weight.shape
    for o in prange(out_channels):
        grad_weight[o] = 0.0
        bias_sum = 0.0
        for n in range(n_batch):
            g = grad_grid[n, o]
            s = 0.0
            for p in range(length):
                s += g[p]
            bias_sum += s
            for c in range(in_channels):
                for kh in range(kh_size):
                    for kw0 in range(0, kw_size, _BLOCK):
                        nb = min(_BLOCK, kw_size - kw0)
                        shift = kh * wp + kw0
                        if nb == _BLOCK:
                            # four neighbouring taps share the load of g
                            s0 = 0.0
                            s1 = 0.0
                            s2 = 0.0
                            s3 = 0.0
                            src = x_pad[n, c, shift:shift + length + 3]
                            for p in range(length):
                                v = g[p]
                                s0 += v * src[p]
                                s1 += v * src[p + 1]
                                s2 += v * src[p + 2]
                                s3 += v * src[p + 3]
                            grad_weight[o, c, kh, kw0] += s0
                            grad_weight[o, c, kh, kw0 + 1] += s1
                            grad_weight[o, c, kh, kw0 + 2] += s2
                            grad_weight[o, c, kh, kw0 + 3] += s3
                        else:
                            for j in range(nb):
                                src = x_pad[n, c, shift + j:shift + j + length]
                                sj = 0.0
                                for p in range(length):
                                    sj += g[p] * src[p]
                                grad_weight[o, c, kh, kw0 + j] += sj
        grad_bias[o] = bias_sum


@kernel(parallel=True)
def grid_to_output(out_grid, wp, stride_h, stride_w, out):
    """Take the valid (strided) positions of the grid: out[n,o,i,j] = grid[n,o,i*sh*wp + j*sw]."""
    n_batch, channels, out_h, out_w = out.shape
    for n in prange(n_batch):
        for o in range(channels):
            for i in range(out_h):
                row = out_grid[n, o, i * stride_h * wp:(i * stride_h + 1) * wp]
                if stride_w == 1:
                    out[n, o, i, :] = row[:out_w]
                else:
                    for j in range(out_w):
                        out[n, o, i, j] = row[j * stride_w]


@kernel(parallel=True)
def output_to_grid(grad_out, wp, stride_h, stride_w, grad_grid):
    """Inverse of grid_to_output: scatter grad_out into a zeroed grid (junk stays 0)."""
    n_batch, channels, out_h, out_w = grad_out.shape
    for n in prange(n_batch):
        for o in range(channels):
            grad_grid[n, o, :] = 0.0
            for i in range(out_h):
                base = i * stride_h * wp
                for j in range(out_w):
                    grad_grid[n, o, base + j * stride_w] = grad_out[n, o, i, j]


@kernel(parallel=True)
def unpad_input(grad_x_pad, pad_h, pad_w, wp, grad_x):
    """grad_x[n,c,h,:] = interior of grad_x_pad (the part that maps back to the input)."""
    n_batch, channels, height, width = grad_x.shape
    for n in prange(n_batch):
        for c in range(channels):
            for h in range(height):
                start = (h + pad_h) * wp + pad_w
                grad_x[n, c, h, :] = grad_x_pad[n, c, start:start + width]
