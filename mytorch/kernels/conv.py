"""2-D convolution kernels on a zero-padded "grid" layout, built in cache-sized scratch.

Each task copies what it reads, one sample at a time, into a small zero-padded scratch
block in which channel c's row h starts at ``base + h*pitch`` (``wp``, the padded width,
for the input). There a kernel tap (c, kh, kw) is a constant offset ``kh*wp + kw`` into
channel c, and the stride-1 output of a whole image is one contiguous loop over the grid
position p = oh*wp + ow. Columns ow >= OW of that grid are junk that never leaves the
scratch. So the whole convolution is one kind of loop, ``correlate``:

    grid[o, p] = bias[o] + sum_t weight[o, t] * src[channel[t], shift[t] + p]

over a table of taps t. The forward pass runs it over the input's taps; the input
gradient runs it over the output gradient's (weights transposed, shifts mirrored), since
the gradient of a correlation is a correlation; ``correlate_weight_grad`` is its weight
gradient. Each pass of the inner loop handles four outputs and four taps: 16
multiply-adds per 4 loads, on data that stays in the L1 cache. Nothing padded is ever
written to main memory.

The kernels compute stride 1. For larger strides the layer subsamples the stride-1 grid
(``grid_to_output``), and the gradient is spread back onto it by the scratch pitch.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel

BLOCK = 4  # outputs and taps per pass: 16 multiply-adds share 4 loads (register blocking)
# Grid loops run over a multiple of LANES positions (float32 lanes in a 512-bit vector), so
# the vectorised loop has no scalar remainder; the scratch blocks carry that slack.
LANES = 16


@kernel
def round_to_lanes(length):
    """The smallest multiple of LANES that is at least ``length``."""
    return -(-length // LANES) * LANES


@kernel
def _fill(x, n, first, count, base, pitch, step, scratch):
    """scratch[j, base + h*pitch + w*step] = x[n, first + j, h, w] for j < count; every
    other place of scratch keeps what it held (zeros, written once)."""
    height, width = x.shape[2], x.shape[3]
    for j in range(count):
        target, image = scratch[j], x[n, first + j]
        for h in range(height):
            row, start = image[h], base + h * pitch
            if step == 1:  # contiguous: a vectorised copy
                for w in range(width):
                    target[start + w] = row[w]
            else:
                for w in range(width):
                    target[start + w * step] = row[w]


@kernel
def _add_taps(acc, src, tap_channel, tap_shift, weight):
    """acc[p] += sum_t weight[t] * src[tap_channel[t], tap_shift[t] + p]: ``correlate`` for a
    one-channel result, four taps per pass, instead of a block of four copies of it."""
    length = acc.shape[0]
    for t in range(0, weight.shape[0], BLOCK):
        s0 = src[tap_channel[t], tap_shift[t]:tap_shift[t] + length]
        s1 = src[tap_channel[t + 1], tap_shift[t + 1]:tap_shift[t + 1] + length]
        s2 = src[tap_channel[t + 2], tap_shift[t + 2]:tap_shift[t + 2] + length]
        s3 = src[tap_channel[t + 3], tap_shift[t + 3]:tap_shift[t + 3] + length]
        b0, b1, b2, b3 = weight[t], weight[t + 1], weight[t + 2], weight[t + 3]
        for p in range(length):
            acc[p] += b0 * s0[p] + b1 * s1[p] + b2 * s2[p] + b3 * s3[p]


@kernel(parallel=True)
def correlate(x, base, pitch, step, src_length, tap_channel, tap_shift, weight, bias, wp,
              column, threads, out):
    """out[n, o, r, j] = grid[n, o, r*wp + column + j], where
    grid[n, o, p] = bias[o] + sum_t weight[o, t] * src_n[tap_channel[t], tap_shift[t] + p]
    for p < rows*wp (rows = out.shape[2]) and src_n is sample n of x (N, C, H, W) laid
    out as ``_fill(x, n, 0, C, base, pitch, step, ...)`` in a zeroed (C, src_length) block.

    ``weight`` is (O, T) with T a multiple of BLOCK (padding taps have zero weight);
    src_length must cover every shift plus rows*wp rounded up to LANES. The tasks, (sample,
    block of four outputs) pairs, are split into one contiguous run for each of
    ``threads`` workers, so a worker lays out each sample once; each task accumulates in
    a scratch block and writes only the wanted columns of each grid row."""
    n_batch, out_channels, rows, width = out.shape
    channels = x.shape[1]
    length = round_to_lanes(rows * wp)
    taps = weight.shape[1]
    blocks = (out_channels + BLOCK - 1) // BLOCK
    tasks = n_batch * blocks
    workers = max(1, min(threads, tasks))
    for worker in prange(workers):
        src = np.zeros((channels, src_length), out.dtype)
        acc = np.empty((BLOCK, length), out.dtype)
        a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
        laid_out = -1
        for task in range(worker * tasks // workers, (worker + 1) * tasks // workers):
            n, o0 = task // blocks, (task % blocks) * BLOCK
            if n != laid_out:
                _fill(x, n, 0, channels, base, pitch, step, src)
                laid_out = n
            o = (o0, min(o0 + 1, out_channels - 1), min(o0 + 2, out_channels - 1),
                 min(o0 + 3, out_channels - 1))  # a partial block repeats its last channel
            a0[:] = bias[o[0]]
            a1[:] = bias[o[1]]
            a2[:] = bias[o[2]]
            a3[:] = bias[o[3]]
            w0, w1, w2, w3 = weight[o[0]], weight[o[1]], weight[o[2]], weight[o[3]]
            if out_channels == 1:  # one channel, e.g. the input gradient of grayscale input
                _add_taps(a0, src, tap_channel, tap_shift, w0)
            else:
                for t in range(0, taps, BLOCK):
                    s0 = src[tap_channel[t], tap_shift[t]:tap_shift[t] + length]
                    s1 = src[tap_channel[t + 1], tap_shift[t + 1]:tap_shift[t + 1] + length]
                    s2 = src[tap_channel[t + 2], tap_shift[t + 2]:tap_shift[t + 2] + length]
                    s3 = src[tap_channel[t + 3], tap_shift[t + 3]:tap_shift[t + 3] + length]
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
def correlate_weight_grad(grad_out, pitch, step, x, base, wp, src_length, tap_channel,
                          tap_shift, length, threads, grad_weight, grad_bias):
    """The weight gradient of ``correlate``:
    grad_weight[o, t] = sum_{n,p} g_n[o, p] * src_n[tap_channel[t], tap_shift[t] + p] and
    grad_bias[o] = sum_{n,p} g_n[o, p], over p < length (the grid length rounded up to
    LANES; past the grid g is 0), where g_n is sample n of grad_out (N, O, OH, OW) laid out
    on the stride-1 grid (row pitch ``pitch``, column step ``step``) and src_n is sample
    n of x laid out as in the forward pass (``base``, row width ``wp``).

    The blocks of four output channels are split into one contiguous run for each of
    ``threads`` workers, which lays out each sample once for all its blocks. Every block
    sums the batch in order, so the result is bit-identical whatever the thread count."""
    n_batch, out_channels = grad_out.shape[0], grad_out.shape[1]
    channels = x.shape[1]
    taps = grad_weight.shape[1]
    zero = np.zeros(1, grad_weight.dtype)[0]  # accumulate in the arrays' own dtype
    blocks = (out_channels + BLOCK - 1) // BLOCK
    workers = max(1, min(threads, blocks))
    for worker in prange(workers):
        first = worker * blocks // workers * BLOCK  # this worker's output channels
        count = min((worker + 1) * blocks // workers * BLOCK, out_channels) - first
        src = np.zeros((channels, src_length), x.dtype)
        g = np.zeros((-(-count // BLOCK) * BLOCK, length), x.dtype)  # partial block: 0 rows
        sums = np.zeros((g.shape[0], taps), grad_weight.dtype)
        bias_sums = np.zeros(g.shape[0], grad_weight.dtype)
        for n in range(n_batch):
            _fill(x, n, 0, channels, base, wp, 1, src)
            _fill(grad_out, n, first, count, 0, pitch, step, g)
            for j0 in range(0, g.shape[0], BLOCK):
                g0, g1, g2, g3 = g[j0], g[j0 + 1], g[j0 + 2], g[j0 + 3]
                for t in range(0, taps, BLOCK):
                    c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = zero
                    c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = zero
                    s0 = src[tap_channel[t], tap_shift[t]:tap_shift[t] + length]
                    s1 = src[tap_channel[t + 1], tap_shift[t + 1]:tap_shift[t + 1] + length]
                    s2 = src[tap_channel[t + 2], tap_shift[t + 2]:tap_shift[t + 2] + length]
                    s3 = src[tap_channel[t + 3], tap_shift[t + 3]:tap_shift[t + 3] + length]
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
                    block_sums = ((c00, c01, c02, c03), (c10, c11, c12, c13),
                                  (c20, c21, c22, c23), (c30, c31, c32, c33))
                    for j in range(BLOCK):
                        for i in range(BLOCK):
                            sums[j0 + j, t + i] += block_sums[j][i]
            for j in range(count):
                total = zero
                row = g[j]
                for p in range(length):
                    total += row[p]
                bias_sums[j] += total
        for j in range(count):
            grad_weight[first + j, :] = sums[j]
            grad_bias[first + j] = bias_sums[j]


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
