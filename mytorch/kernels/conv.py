"""2-D convolution kernels on a zero-padded "grid" layout.

The layer copies the input into a padded buffer ``x_pad`` of shape (N, C, Hp*Wp + slack)
and computes the stride-1 output on a grid of (OH, Wp) positions per channel, flattened
to length ``OH*Wp``. Output column ``ow >= OW`` of each grid row is junk, which
``correlate`` leaves in its scratch block when it writes the result. In that layout a kernel tap (c, kh, kw) is a constant offset ``kh*Wp + kw`` into
channel c, so the whole convolution is one kind of loop, ``correlate``:

    grid[n, o, p] = bias[o] + sum_t weight[o, t] * src[n, channel[t], shift[t] + p]

over a table of taps t. The forward pass runs it over the input's taps; the input
gradient runs it over the output gradient (with the weights transposed and the shifts
mirrored), since the gradient of a correlation is a correlation. Long contiguous loops
over p vectorise well, and each pass of the loop handles four outputs and four taps, so
most work is multiply-adds in registers rather than loads and stores.

Every kernel is written for stride 1. Larger strides are handled by the layer as a
stride-1 convolution followed by subsampling.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel

BLOCK = 4  # outputs and taps per pass: 16 multiply-adds share 4 loads (register blocking)
# Grid loops run over a multiple of LANES positions (float32 lanes in a 512-bit vector), so
# the vectorised loop has no scalar remainder; what they read carries LANES of slack.
LANES = 16


@kernel
def round_to_lanes(length):
    return -(-length // LANES) * LANES


@kernel(parallel=True)
def pad_input(x, pad_h, pad_w, wp, x_pad):
    """Copy x (N, C, H, W) into the interior of x_pad (N, C, Hp*Wp + slack), row width wp;
    the border stays zero (the caller zeroes the buffer once when it allocates it)."""
    n_batch, channels, height, width = x.shape
    for task in prange(n_batch * channels):
        n, c = task // channels, task % channels
        target, image = x_pad[n, c], x[n, c]
        for h in range(height):
            start = (h + pad_h) * wp + pad_w
            row = image[h]
            for w in range(width):
                target[start + w] = row[w]


@kernel(parallel=True)
def correlate(src, tap_channel, tap_shift, weight, bias, wp, column, out):
    """out[n, o, r, j] = grid[n, o, r*wp + column + j], where
    grid[n, o, p] = bias[o] + sum_t weight[o, t] * src[n, tap_channel[t], tap_shift[t] + p]
    for p < rows*wp (rows = out.shape[2]).

    ``weight`` is (O, T) with T a multiple of BLOCK (padding taps have zero weight);
    ``src`` must be long enough for every shift plus rows*wp rounded up to LANES. Each task accumulates four
    output channels of one sample in a scratch block small enough for the L1 cache, then
    writes only the wanted columns of each grid row: the junk columns never reach memory."""
    n_batch, out_channels, rows, width = out.shape
    length = round_to_lanes(rows * wp)
    taps = weight.shape[1]
    blocks = (out_channels + BLOCK - 1) // BLOCK
    for task in prange(n_batch * blocks):
        n, o0 = task // blocks, (task % blocks) * BLOCK
        o = (o0, min(o0 + 1, out_channels - 1), min(o0 + 2, out_channels - 1),
             min(o0 + 3, out_channels - 1))  # a partial block repeats its last channel
        acc = np.empty((BLOCK, length), out.dtype)
        a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
        a0[:] = bias[o[0]]
        a1[:] = bias[o[1]]
        a2[:] = bias[o[2]]
        a3[:] = bias[o[3]]
        w0, w1, w2, w3 = weight[o[0]], weight[o[1]], weight[o[2]], weight[o[3]]
        for t in range(0, taps, BLOCK):
            s0 = src[n, tap_channel[t], tap_shift[t]:tap_shift[t] + length]
            s1 = src[n, tap_channel[t + 1], tap_shift[t + 1]:tap_shift[t + 1] + length]
            s2 = src[n, tap_channel[t + 2], tap_shift[t + 2]:tap_shift[t + 2] + length]
            s3 = src[n, tap_channel[t + 3], tap_shift[t + 3]:tap_shift[t + 3] + length]
            w00, w01, w02, w03 = w0[t], w0[t + 1], w0[t + 2], w0[t + 3]
            w10, w11, w12, w13 = w1[t], w1[t + 1], w1[t + 2], w1[t + 3]
            w20, w21, w22, w23 = w2[t], w2[t + 1], w2[t + 2], w2[t + 3]
            w30, w31, w32, w33 = w3[t], w3[t + 1], w3[t + 2], w3[t + 3]
            for p in range(length):
                v0, v1, v2, v3 = s0[p], s1[p], s2[p], s3[p]
                a0[p] += w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3
                a1[p] += w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3
                a2[p] += w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3
                a3[p] += w30 * v0 + w31 * v1 + w32 * v2 + w33 * v3
        for j in range(min(BLOCK, out_channels - o0)):
            for r in range(rows):
                row = acc[j, r * wp + column:r * wp + column + width]
                target = out[n, o0 + j, r]
                for i in range(width):
                    target[i] = row[i]


@kernel(parallel=True)
def correlate_weight_grad(grad, offset, length, src, tap_channel, tap_shift, grad_weight,
                          grad_bias):
    """grad_weight[o, t] = sum_{n,p} g[n, o, p] * src[n, tap_channel[t], tap_shift[t] + p]
    and grad_bias[o] = sum_{n,p} g[n, o, p], with g = grad[:, :, offset:offset + length]:
    the weight gradient of ``correlate``. (The layer passes the grid length rounded up to
    LANES: the positions past the grid hold zero gradient.)

    One thread owns a block of four output channels and sums the batch in order, so the
    result is bit-identical whatever the thread count."""
    n_batch, out_channels = grad.shape[0], grad.shape[1]
    taps = grad_weight.shape[1]
    zero = np.zeros(1, grad_weight.dtype)[0]  # accumulate in the arrays' own dtype
    blocks = (out_channels + BLOCK - 1) // BLOCK
    for block in prange(blocks):
        o0 = block * BLOCK
        rows = (o0, min(o0 + 1, out_channels - 1), min(o0 + 2, out_channels - 1),
                min(o0 + 3, out_channels - 1))
        for t in range(0, taps, BLOCK):
            c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = zero
            c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = zero
            for n in range(n_batch):
                end = offset + length
                g0, g1 = grad[n, rows[0], offset:end], grad[n, rows[1], offset:end]
                g2, g3 = grad[n, rows[2], offset:end], grad[n, rows[3], offset:end]
                s0 = src[n, tap_channel[t], tap_shift[t]:tap_shift[t] + length]
                s1 = src[n, tap_channel[t + 1], tap_shift[t + 1]:tap_shift[t + 1] + length]
                s2 = src[n, tap_channel[t + 2], tap_shift[t + 2]:tap_shift[t + 2] + length]
                s3 = src[n, tap_channel[t + 3], tap_shift[t + 3]:tap_shift[t + 3] + length]
                for p in range(length):
                    v0, v1, v2, v3 = s0[p], s1[p], s2[p], s3[p]
                    c00 += g0[p] * v0
                    c01 += g0[p] * v1
                    c02 += g0[p] * v2
                    c03 += g0[p] * v3
                    c10 += g1[p] * v0
                    c11 += g1[p] * v1
                    c12 += g1[p] * v2
                    c13 += g1[p] * v3
                    c20 += g2[p] * v0
                    c21 += g2[p] * v1
                    c22 += g2[p] * v2
                    c23 += g2[p] * v3
                    c30 += g3[p] * v0
                    c31 += g3[p] * v1
                    c32 += g3[p] * v2
                    c33 += g3[p] * v3
            sums = ((c00, c01, c02, c03), (c10, c11, c12, c13), (c20, c21, c22, c23),
                    (c30, c31, c32, c33))
            for j in range(min(BLOCK, out_channels - o0)):
                for i in range(BLOCK):
                    grad_weight[o0 + j, t + i] = sums[j][i]
        for j in range(min(BLOCK, out_channels - o0)):
            total = zero
            for n in range(n_batch):
                row = grad[n, o0 + j, offset:offset + length]
                for p in range(length):
                    total += row[p]
            grad_bias[o0 + j] = total


@kernel(parallel=True)
def grid_to_output(grid, stride_h, stride_w, out):
    """Subsample the stride-1 grid (N, O, rows, Wp): out[n,o,i,j] = grid[n,o,i*sh,j*sw]."""
    n_batch, channels, out_h, out_w = out.shape
    for task in prange(n_batch * channels):
        n, o = task // channels, task % channels
        for i in range(out_h):
            row, target = grid[n, o, i * stride_h], out[n, o, i]
            for j in range(out_w):
                target[j] = row[j * stride_w]


@kernel(parallel=True)
def output_to_grid(grad_out, wp, stride_h, stride_w, offset, grad_grid):
    """Inverse of grid_to_output: write grad_out into the grid that starts at ``offset``
    in each row of grad_grid. Only the valid positions are written, the same ones on every
    call, so the junk columns and the margin keep the zeros the buffer was created with."""
    n_batch, channels, out_h, out_w = grad_out.shape
    for task in prange(n_batch * channels):
        n, o = task // channels, task % channels
        for i in range(out_h):
            base = offset + i * stride_h * wp
            target, row = grad_grid[n, o], grad_out[n, o, i]
            if stride_w == 1:  # contiguous: a vectorised copy
                for j in range(out_w):
                    target[base + j] = row[j]
            else:
                for j in range(out_w):
                    target[base + j * stride_w] = row[j]
