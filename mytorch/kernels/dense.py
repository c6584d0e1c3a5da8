"""Fully connected layer products: the forward pass y = x @ weight.T + bias (weight stored
(out, in) as in PyTorch) and the two backward products."""
from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel
from .conv import BLOCK


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
