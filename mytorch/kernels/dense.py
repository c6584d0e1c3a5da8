"""Fully connected layer products: the forward pass y = x @ weight.T + bias (weight stored
(out, in) as in PyTorch) and the two backward products."""
from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel
from .conv import BLOCK


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
def matmul_rows(a, transpose_a, b, out):
    """out = A @ b with A = a.T if transpose_a else a; b is (K, L), out (R, L).

    Dense's backward products: the weight gradient is grad_out.T @ x and the input
    gradient grad_out @ weight. Each task owns four rows of out and adds four rows of b
    per pass (16 multiply-adds per 4 loads of b), in a scratch block that stays in the
    L1 cache; the sum over K runs in a fixed order, whatever the thread count."""
    rows, length = out.shape
    depth = b.shape[0]
    zero = np.zeros(1, out.dtype)[0]
    for block in prange((rows + BLOCK - 1) // BLOCK):
        r0 = block * BLOCK
        acc = np.zeros((BLOCK, length), out.dtype)
        coef = np.empty((BLOCK, BLOCK), out.dtype)
        a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
        for k0 in range(0, depth, BLOCK):
            for j in range(BLOCK):  # A[r0 + j, k0 + i], 0 outside A
                for i in range(BLOCK):
                    r, k = r0 + j, k0 + i
                    inside = r < rows and k < depth
                    coef[j, i] = (a[k, r] if transpose_a else a[r, k]) if inside else zero
            b0, b1 = b[k0], b[min(k0 + 1, depth - 1)]  # rows past K get coefficient 0
            b2, b3 = b[min(k0 + 2, depth - 1)], b[min(k0 + 3, depth - 1)]
            c00, c01, c02, c03 = coef[0, 0], coef[0, 1], coef[0, 2], coef[0, 3]
            c10, c11, c12, c13 = coef[1, 0], coef[1, 1], coef[1, 2], coef[1, 3]
            c20, c21, c22, c23 = coef[2, 0], coef[2, 1], coef[2, 2], coef[2, 3]
            c30, c31, c32, c33 = coef[3, 0], coef[3, 1], coef[3, 2], coef[3, 3]
            # The 4x4 block of correlate's inner loop, written out again on purpose: one
            # shared helper function made the 8->16 convolution 13-33 % slower (measured).
            for p in range(length):
                v0, v1, v2, v3 = b0[p], b1[p], b2[p], b3[p]
                a0[p] += c00 * v0 + c01 * v1 + c02 * v2 + c03 * v3
                a1[p] += c10 * v0 + c11 * v1 + c12 * v2 + c13 * v3
                a2[p] += c20 * v0 + c21 * v1 + c22 * v2 + c23 * v3
                a3[p] += c30 * v0 + c31 * v1 + c32 * v2 + c33 * v3
        for j in range(min(BLOCK, rows - r0)):
            target, row = out[r0 + j], acc[j]
            for p in range(length):
                target[p] = row[p]


@kernel
def column_sums(x, out):
    """out[j] = sum_n x[n, j], the rows added in order (Dense's bias gradient: a NumPy
    ``sum(axis=0)`` costs about 2 us of call overhead on these small arrays, this 0.5)."""
    out[:] = 0
    for n in range(x.shape[0]):
        row = x[n]
        for j in range(out.shape[0]):
            out[j] += row[j]
