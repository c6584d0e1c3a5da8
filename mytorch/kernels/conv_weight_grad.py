"""The weight gradient of ``conv.correlate``: for each output channel o and tap t,
the sum over the batch and the output positions p of g[o, p] * src[channel[t], shift[t] + p].

Two kernels, as for ``correlate``. Below WIDE output channels, ``correlate_weight_grad``
reads the gradient laid out on the stride-1 grid and sums a block of 4 channels x 4 taps
per pass along the positions. From WIDE channels on, ``correlate_weight_grad_wide`` lays
out the gradient transposed, (position, channel), and keeps WIDE channels x RUN taps in
registers over the real output positions only.
"""
from __future__ import annotations

import numpy as np
from numba import carray, prange, uint64

from ._jit import kernel
from ._stack import stack_empty
from .conv import BLOCK, RUN, WIDE, WIDE_SUMS, _fill


@kernel(parallel=True)
def correlate_weight_grad(grad_out, pitch, step, x, base, wp, src_length, tap_channel,
                          tap_shift, length, threads, grad_weight, grad_bias):
    """The weight gradient of ``correlate``:
    grad_weight[o, t] = sum_{n,p} g_n[o, p] * src_n[tap_channel[t], tap_shift[t] + p] and
    grad_bias[o] = sum_{n,p} g_n[o, p], over p < length (the grid length rounded up to
    SPAN; past the grid g is 0), where g_n is sample n of grad_out (N, O, OH, OW) laid out
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


@kernel
def _weight_grad_run(g_t, flat, offsets, rows, cols, pitch, step, sums):
    """sums[k, j] += sum_{r < rows, c < cols} g_t[r*cols + c, j] * flat[offsets[k] +
    r*pitch + c*step] for k < RUN and j < WIDE: the weight gradient of RUN taps of WIDE
    channels, over the output positions only. Per position: one vector load of the
    gradient and RUN broadcasts for RUN vector multiply-adds into registers. Indices are
    unsigned, so Numba adds no negative-index wraparound and the loads stay plain."""
    acc = carray(stack_empty(WIDE_SUMS, sums.dtype), (RUN, WIDE))
    for k in range(RUN):
        for j in range(sums.shape[1]):  # not a constant bound: see _correlate_block
            acc[k, j] = sums[k, j]
    for r in range(rows):
        for c in range(cols):
            d = g_t[r * cols + c]
            at = uint64(r * pitch + c * step)
            for j in range(WIDE):
                dj = d[j]
                for k in range(RUN):
                    acc[k, j] += flat[offsets[k] + at] * dj
    for k in range(RUN):
        for j in range(sums.shape[1]):
            sums[k, j] = acc[k, j]


@kernel(parallel=True)
def correlate_weight_grad_wide(grad_out, pitch, step, x, base, wp, src_length, tap_channel,
                               tap_shift, length, threads, grad_weight, grad_bias):
    """``correlate_weight_grad`` (same arguments; ``length`` is unused) for WIDE or more
    output channels, vectorised along the channels instead of the grid, so it visits
    only real output positions. The gradient of each sample is laid out transposed,
    (position, channel); the (block of WIDE channels, run of RUN taps) tiles are split
    into one contiguous range per worker, and every tile sums the batch in order, so the
    result is bit-identical whatever the thread count."""
    n_batch, out_channels, rows, cols = grad_out.shape
    channels = x.shape[1]
    taps = grad_weight.shape[1]
    blocks = (out_channels + WIDE - 1) // WIDE
    runs = (taps + RUN - 1) // RUN
    tiles = blocks * runs
    workers = max(1, min(threads, tiles))
    for worker in prange(workers):
        first, last = worker * tiles // workers, (worker + 1) * tiles // workers
        src = np.zeros((channels, src_length), x.dtype)
        flat = src.reshape(channels * src_length)
        offsets = np.zeros(runs * RUN, np.uint64)  # padding taps read offset 0, unused
        for t in range(taps):
            offsets[t] = tap_channel[t] * src_length + tap_shift[t]
        g_t = np.zeros((blocks, rows * cols, WIDE), x.dtype)  # channels past O stay 0
        sums = np.zeros((last - first, RUN, WIDE), grad_weight.dtype)
        bias_sums = np.zeros((blocks, WIDE), grad_weight.dtype)
        for n in range(n_batch):
            _fill(x, n, 0, channels, base, wp, 1, src)
            planes = grad_out[n].reshape(out_channels, rows * cols)
            for block in range(blocks):
                target = g_t[block]
                for p in range(rows * cols):
                    row = target[p]
                    for j in range(min(WIDE, out_channels - block * WIDE)):
                        row[j] = planes[block * WIDE + j, p]
            for tile in range(first, last):
                block, run = tile // runs, tile % runs
                _weight_grad_run(g_t[block], flat, offsets[run * RUN:(run + 1) * RUN], rows,
                                 cols, pitch, step, sums[tile - first])
            if worker == 0:
                for block in range(blocks):
                    for p in range(rows * cols):
                        for j in range(WIDE):
                            bias_sums[block, j] += g_t[block, p, j]
        for tile in range(first, last):
            block, run = tile // runs, tile % runs
            for k in range(min(RUN, taps - run * RUN)):
                for j in range(min(WIDE, out_channels - block * WIDE)):
                    grad_weight[block * WIDE + j, run * RUN + k] = sums[tile - first, k, j]
        if worker == 0:
            for o in range(out_channels):
                grad_bias[o] = bias_sums[o // WIDE, o % WIDE]
