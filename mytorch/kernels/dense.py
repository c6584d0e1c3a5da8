"""Fully connected layer products (weight stored (out, in) as in PyTorch): the forward pass
y = x @ weight.T + bias as dot products along the input rows (``dense_forward``), and
``matmul_rows``, which serves the two backward products and the forward pass on short rows
(on the transposed weight)."""
from __future__ import annotations

import numpy as np
from numba import carray, prange

from ._jit import kernel
from ._stack import stack_empty
from .conv import BLOCK, OUTPUTS, SPAN, SUMS


@kernel(parallel=True)
def dense_forward(x, weight, bias, out):
    """out[n, o] = bias[o] + dot(x[n], weight[o]). Each task takes four samples and four
    outputs: 16 dot products share every load of x and weight (register blocking), the
    partial blocks at the edges repeat their last row and keep only the real results."""
    n_batch, in_features = x.shape
    out_features = weight.shape[0]
    zero = np.zeros(1, out.dtype)[0]
    sample_blocks = (n_batch + BLOCK - 1) // BLOCK
    output_blocks = (out_features + BLOCK - 1) // BLOCK
    for task in prange(sample_blocks * output_blocks):
        n0, o0 = (task // output_blocks) * BLOCK, (task % output_blocks) * BLOCK
        x0, x1 = x[n0], x[min(n0 + 1, n_batch - 1)]
        x2, x3 = x[min(n0 + 2, n_batch - 1)], x[min(n0 + 3, n_batch - 1)]
        w0, w1 = weight[o0], weight[min(o0 + 1, out_features - 1)]
        w2, w3 = weight[min(o0 + 2, out_features - 1)], weight[min(o0 + 3, out_features - 1)]
        s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
        s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
        for k in range(in_features):
            a0, a1, a2, a3 = x0[k], x1[k], x2[k], x3[k]
            b0, b1, b2, b3 = w0[k], w1[k], w2[k], w3[k]
            s00 += a0 * b0
            s01 += a0 * b1
            s02 += a0 * b2
            s03 += a0 * b3
            s10 += a1 * b0
            s11 += a1 * b1
            s12 += a1 * b2
            s13 += a1 * b3
            s20 += a2 * b0
            s21 += a2 * b1
            s22 += a2 * b2
            s23 += a2 * b3
            s30 += a3 * b0
            s31 += a3 * b1
            s32 += a3 * b2
            s33 += a3 * b3
        sums = ((s00, s01, s02, s03), (s10, s11, s12, s13), (s20, s21, s22, s23),
                (s30, s31, s32, s33))
        for i in range(min(BLOCK, n_batch - n0)):
            for j in range(min(BLOCK, out_features - o0)):
                out[n0 + i, o0 + j] = sums[i][j] + bias[o0 + j]


@kernel(parallel=True)
def matmul_rows(a, transpose_a, b, bias, out):
    """out = A @ b + bias with A = a.T if transpose_a else a; b is (K, L) C-contiguous,
    out (R, L), bias (L,) added to every row, or empty for none.

    Dense's backward products (the weight gradient grad_out.T @ x, the input gradient
    grad_out @ weight) and its forward pass on short rows (x @ weight.T + bias, with the
    weight transposed). A's rows are gathered once into blocks of OUTPUTS coefficients;
    then each task takes SPAN columns of b, which stay in the L1 cache, and builds those
    columns of every row of out (``_rows_span``); the last L % SPAN columns come from a
    zero-padded copy. The sum over K runs in a fixed order, whatever the thread count."""
    length = out.shape[1]
    full = length - length % SPAN
    coef, tail, bias, bias_tail = _blocks_of_rows(a, transpose_a, out.shape[0], b, bias, full)
    for span in prange((length + SPAN - 1) // SPAN):
        start = span * SPAN
        if start < full:
            _rows_span(b, bias, start, coef, out, start)
        else:
            _rows_span(tail, bias_tail, 0, coef, out, start)


@kernel
def _blocks_of_rows(a, transpose_a, rows, b, bias, full):
    """matmul_rows' set-up, in a serial kernel because Numba would run each array
    operation of a parallel one as a parallel loop of its own: A's rows in blocks of
    OUTPUTS (rows past R are 0); b's columns from ``full`` on, zero-padded to SPAN; the
    bias (zeros if empty) and its columns from ``full`` on, padded likewise."""
    depth, length = b.shape
    coef = np.zeros(((rows + OUTPUTS - 1) // OUTPUTS, OUTPUTS, depth), b.dtype)
    for r in range(rows):
        for k in range(depth):
            coef[r // OUTPUTS, r % OUTPUTS, k] = a[k, r] if transpose_a else a[r, k]
    tail = np.zeros((depth, SPAN), b.dtype)
    for k in range(depth):
        tail[k, :length - full] = b[k, full:]
    if bias.shape[0] == 0:
        bias = np.zeros(length, b.dtype)
    bias_tail = np.zeros(SPAN, b.dtype)
    bias_tail[:length - full] = bias[full:]
    return coef, tail, bias, bias_tail


@kernel
def _rows_span(src, bias, column, coef, out, start):
    """out[b*OUTPUTS + j, start + i] = bias[column + i] + sum_k coef[b, j, k] *
    src[k, column + i] for i < SPAN (and inside out). This is correlate's register block
    (``conv._correlate_block``) with the rows of src as its taps: a block of OUTPUTS rows
    x SPAN columns is built in a stack array that LLVM keeps in 16 vector registers until
    every row of src is added, and stored once. On one thread MyMLP's first weight
    gradient (75 x 16 x 784) takes 27 us this way, against 30-35 us for the 4 x 4 block
    it replaced, which kept its sums in the L1 cache."""
    sums = carray(stack_empty(SUMS, out.dtype), (OUTPUTS, SPAN))
    width = min(SPAN, out.shape[1] - start)
    for block in range(coef.shape[0]):
        weight = coef[block]
        s, base = src[0, column:column + SPAN], bias[column:column + SPAN]
        for i in range(SPAN):
            v, b0 = s[i], base[i]
            for j in range(OUTPUTS):
                sums[j, i] = b0 + weight[j, 0] * v
        for k in range(1, src.shape[0]):
            s = src[k, column:column + SPAN]
            for i in range(SPAN):
                v = s[i]
                for j in range(OUTPUTS):
                    sums[j, i] += weight[j, k] * v
        row = block * OUTPUTS
        for j in range(min(OUTPUTS, out.shape[0] - row)):
            target = out[row + j, start:start + width]
            for i in range(width):
                target[i] = sums[j, i]


@kernel
def column_sums(x, out):
    """out[j] = sum_n x[n, j], the rows added in order (Dense's bias gradient: a NumPy
    ``sum(axis=0)`` costs about 2 us of call overhead on these small arrays, this 0.5)."""
    out[:] = 0
    for n in range(x.shape[0]):
        row = x[n]
        for j in range(out.shape[0]):
            out[j] += row[j]
