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
the gradient of a correlation is a correlation; ``conv_weight_grad`` holds its weight
gradient. Every kernel keeps a block of sums in registers across all taps (or, for the
weight gradient, all positions) and stores it once: a small array on the stack
(``_stack.stack_empty``) that LLVM turns into vector registers. Below WIDE output
channels the block is 8 channels x 32 grid positions, vectorised along the positions;
from WIDE channels on it is 16 channels (one vector) x 7 positions of one output row,
vectorised along the channels, which also skips the junk columns. All of it reads data
that stays in the L1 cache, and nothing padded is ever written to main memory.

The kernels compute stride 1. For larger strides the layer subsamples the stride-1 grid
(``grid_to_output``), and the gradient is spread back onto it by the scratch pitch.
"""
from __future__ import annotations

import numpy as np
from numba import carray, prange

from ._jit import kernel
from ._stack import stack_empty

# The register blocks. Below WIDE output channels: OUTPUTS channels x SPAN grid positions.
# From WIDE channels on: WIDE channels (one 16-lane float32 vector) x RUN positions (or, in
# the weight gradient, RUN taps). Measured on the 8->16 forward's sums, one sample, one
# thread: the 4x4 block that kept its sums in memory took 23.4 us, OUTPUTS x SPAN 17.3 us,
# WIDE x RUN 11.8 us (106 GFLOP/s of real work); RUN = 12 or 14 was no faster.
OUTPUTS = 8
SPAN = 32  # two 16-lane vectors; grid loops are rounded up to it
WIDE = 16
RUN = 7
BLOCK = 4  # outputs and taps per pass of the narrow weight gradient: 16 sums, 8 loads
# stack array sizes (a module-level int is a compile-time constant to Numba)
SUMS = OUTPUTS * SPAN
WIDE_SUMS = RUN * WIDE  # also the weight gradient's wide block: RUN taps x WIDE channels


@kernel
def round_to_span(length):
    """The smallest multiple of SPAN that is at least ``length``."""
    return -(-length // SPAN) * SPAN


@kernel
def _fill(x, n, first, count, base, pitch, step, scratch):
    """scratch[j, base + h*pitch + w*step] = x[n, first + j, h, w] for j < count; every
    other place of scratch keeps what it held (zeros, written once)."""
    height, width = x.shape[2], x.shape[3]
    for j in range(count):
        target, image = scratch[j], x[n, first + j]
        for h in range(height):
            row, start = image[h], base + h * pitch
            # index slices from 0: ``target[start + w]`` would make Numba check each index
            # for wraparound, which kept this copy scalar (measured 3x slower)
            if step == 1:  # contiguous: a vectorised copy
                dst = target[start:start + width]
            else:
                dst = target[start:start + width * step:step]
            for w in range(width):
                dst[w] = row[w]


@kernel
def _add_taps(acc, src, tap_channel, tap_shift, weight):
    """acc[p] += sum_t weight[t] * src[tap_channel[t], tap_shift[t] + p]: ``correlate`` for a
    one-channel result, four taps per pass, instead of a block of four copies of it."""
    length, taps = acc.shape[0], weight.shape[0]
    for t in range(0, taps - taps % BLOCK, BLOCK):
        s0 = src[tap_channel[t], tap_shift[t]:tap_shift[t] + length]
        s1 = src[tap_channel[t + 1], tap_shift[t + 1]:tap_shift[t + 1] + length]
        s2 = src[tap_channel[t + 2], tap_shift[t + 2]:tap_shift[t + 2] + length]
        s3 = src[tap_channel[t + 3], tap_shift[t + 3]:tap_shift[t + 3] + length]
        b0, b1, b2, b3 = weight[t], weight[t + 1], weight[t + 2], weight[t + 3]
        for p in range(length):
            acc[p] += b0 * s0[p] + b1 * s1[p] + b2 * s2[p] + b3 * s3[p]
    for t in range(taps - taps % BLOCK, taps):
        s0, b0 = src[tap_channel[t], tap_shift[t]:tap_shift[t] + length], weight[t]
        for p in range(length):
            acc[p] += b0 * s0[p]


@kernel
def _correlate_block(src, tap_channel, tap_shift, weight, bias, acc):
    """acc[j, p] = bias[j] + sum_t weight[j, t] * src[tap_channel[t], tap_shift[t] + p] for
    j < OUTPUTS and p < acc.shape[1] (a multiple of SPAN): ``correlate`` for one block of
    outputs. Each pass over the taps builds SPAN positions of all OUTPUTS rows in a stack
    array that LLVM keeps in registers (16 vector accumulators), so a tap costs two loads
    and eight broadcasts for 16 vector multiply-adds, and nothing is stored until the
    last tap.

    How the loops are written matters to LLVM. The loop over positions is outermost and
    has a constant length, so it is vectorised; the first tap sets the sums rather than
    an initialising loop (which LLVM unrolled into 256 scalar stores); the copy out runs
    to a bound that is not a constant (a constant one was unrolled into scalar copies)."""
    sums = carray(stack_empty(SUMS, acc.dtype), (OUTPUTS, SPAN))
    for p0 in range(0, acc.shape[1], SPAN):
        s = src[tap_channel[0], tap_shift[0] + p0:tap_shift[0] + p0 + SPAN]
        for i in range(SPAN):
            v = s[i]
            for j in range(OUTPUTS):
                sums[j, i] = bias[j] + weight[j, 0] * v
        for t in range(1, weight.shape[1]):
            s = src[tap_channel[t], tap_shift[t] + p0:tap_shift[t] + p0 + SPAN]
            for i in range(SPAN):
                v = s[i]
                for j in range(OUTPUTS):
                    sums[j, i] += weight[j, t] * v
        span = min(SPAN, acc.shape[1] - p0)
        for j in range(OUTPUTS):
            row = acc[j, p0:p0 + span]
            for i in range(span):
                row[i] = sums[j, i]


@kernel
def _correlate_run(src, tap_channel, tap_shift, weight_t, bias, start, out):
    """out[q, j] = bias[j] + sum_t weight_t[t, j] * src[tap_channel[t], tap_shift[t] +
    start + q] for q < RUN and j < WIDE: RUN neighbouring outputs of WIDE channels. Each tap
    costs one vector load of weights and RUN broadcasts for RUN vector multiply-adds; the
    sums live in a stack array that LLVM keeps in registers until the last tap. The loops
    are written as in ``_correlate_block``, for the same reasons."""
    sums = carray(stack_empty(WIDE_SUMS, out.dtype), (RUN, WIDE))
    s = src[tap_channel[0], tap_shift[0] + start:tap_shift[0] + start + RUN]
    w = weight_t[0]
    for j in range(WIDE):
        wj = w[j]
        for q in range(RUN):
            sums[q, j] = bias[j] + s[q] * wj
    for t in range(1, weight_t.shape[0]):
        s = src[tap_channel[t], tap_shift[t] + start:tap_shift[t] + start + RUN]
        w = weight_t[t]
        for j in range(WIDE):
            wj = w[j]
            for q in range(RUN):
                sums[q, j] += s[q] * wj
    for q in range(RUN):
        row = out[q]
        for j in range(out.shape[1]):
            row[j] = sums[q, j]


@kernel(parallel=True)
def correlate(x, base, pitch, step, src_length, tap_channel, tap_shift, weight, bias, wp,
              column, threads, out):
    """out[n, o, r, j] = grid[n, o, r*wp + column + j], where
    grid[n, o, p] = bias[o] + sum_t weight[o, t] * src_n[tap_channel[t], tap_shift[t] + p]
    for p < rows*wp (rows = out.shape[2]) and src_n is sample n of x (N, C, H, W) laid
    out as ``_fill(x, n, 0, C, base, pitch, step, ...)`` in a zeroed (C, src_length) block.

    ``weight`` is (O, T) with O a multiple of WIDE (padding rows have zero weight; ``bias``
    has O entries), and the tap tables have at least T entries; src_length must cover every
    shift plus rows*wp rounded up to SPAN, plus SPAN. The tasks, (sample, block of outputs)
    pairs, are split into one contiguous run for each of ``threads`` workers, so a worker
    lays out each sample once. Below WIDE outputs a task accumulates the grid in a scratch
    block and copies out the wanted columns of each row; from WIDE outputs on it builds each
    output row in runs of RUN positions, straight from registers."""
    n_batch, out_channels, rows, width = out.shape
    channels, taps = x.shape[1], weight.shape[1]
    length = round_to_span(rows * wp)
    wide = out_channels >= WIDE
    outputs = WIDE if wide else OUTPUTS
    blocks = (out_channels + outputs - 1) // outputs
    tasks = n_batch * blocks
    workers = max(1, min(threads, tasks))
    for worker in prange(workers):
        src = np.zeros((channels, src_length), out.dtype)
        acc = np.empty((OUTPUTS, 0 if wide else length), out.dtype)
        # the wide path reads each block of WIDE rows of weight transposed, (taps, WIDE)
        weight_t = np.empty((blocks if wide else 0, taps, WIDE), out.dtype)
        for b in range(weight_t.shape[0]):
            for j in range(WIDE):
                for t in range(taps):
                    weight_t[b, t, j] = weight[b * WIDE + j, t]
        run = np.empty((RUN, WIDE), out.dtype)
        laid_out = -1
        for task in range(worker * tasks // workers, (worker + 1) * tasks // workers):
            n, o0 = task // blocks, (task % blocks) * outputs
            if n != laid_out:
                _fill(x, n, 0, channels, base, pitch, step, src)
                laid_out = n
            count = min(outputs, out_channels - o0)
            if wide:
                for r in range(rows):
                    for c0 in range(0, width, RUN):
                        _correlate_run(src, tap_channel, tap_shift, weight_t[o0 // WIDE],
                                       bias[o0:o0 + WIDE], r * wp + column + c0, run)
                        span = min(RUN, width - c0)
                        for j in range(count):
                            target = out[n, o0 + j, r, c0:c0 + span]
                            for q in range(span):
                                target[q] = run[q, j]
                continue
            if out_channels == 1:  # one channel, e.g. the input gradient of grayscale input
                acc[0, :] = bias[0]
                _add_taps(acc[0], src, tap_channel, tap_shift, weight[0])
            else:
                _correlate_block(src, tap_channel, tap_shift, weight[o0:o0 + OUTPUTS],
                                 bias[o0:o0 + OUTPUTS], acc)
            for j in range(count):
                for r in range(rows):
                    row = acc[j, r * wp + column:r * wp + column + width]
                    target = out[n, o0 + j, r]
                    for i in range(width):
                        target[i] = row[i]


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
