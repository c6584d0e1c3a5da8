"""Batch normalisation over a (N, C, L) view: L = 1 for (N, C) inputs, H*W for images.

One thread owns one channel, so every reduction runs in a fixed order."""
from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel


@kernel(parallel=True)
def batchnorm_forward_train(x, weight, bias, eps, momentum, unbiased, running_mean,
                            running_var, out, x_hat, inv_std):
    """Normalise with the biased batch statistics; keep x_hat and 1/std for the backward
    pass and fold the batch into the running statistics:
    running = (1 - momentum) * running + momentum * batch, where the batch variance is
    scaled by count/(count - 1) when ``unbiased``. The statistics are summed in float64."""
    n_batch, channels, length = x.shape
    count = n_batch * length
    decay = np.empty(1, running_mean.dtype)  # (1 - momentum) in the buffers' dtype,
    decay[0] = 1.0 - momentum                # as NumPy's ``running *= 1 - momentum``
    for c in prange(channels):
        total = 0.0
        for n in range(n_batch):
            row = x[n, c]
            for p in range(length):
                total += row[p]
        mean = total / count
        sq = 0.0
        for n in range(n_batch):
            row = x[n, c]
            for p in range(length):
                d = row[p] - mean
                sq += d * d
        var = sq / count
        inv = 1.0 / np.sqrt(var + eps)
        scale = weight[c] * inv
        shift = bias[c] - mean * scale
        for n in range(n_batch):
            row = x[n, c]
            xh = x_hat[n, c]
            o = out[n, c]
            for p in range(length):
                xh[p] = (row[p] - mean) * inv
                o[p] = row[p] * scale + shift
        inv_std[c] = inv
        running_mean[c] = running_mean[c] * decay[0] + momentum * mean
        var_for_running = var * (count / (count - 1)) if unbiased else var
        running_var[c] = running_var[c] * decay[0] + momentum * var_for_running


@kernel(parallel=True)
def batchnorm_forward_eval(x, weight, bias, running_mean, running_var, eps, out):
    """y = weight * (x - running_mean) / sqrt(running_var + eps) + bias."""
    n_batch, channels, length = x.shape
    for c in prange(channels):
        scale = weight[c] / np.sqrt(running_var[c] + eps)
        shift = bias[c] - running_mean[c] * scale
        for n in range(n_batch):
            row = x[n, c]
            o = out[n, c]
            for p in range(length):
                o[p] = row[p] * scale + shift


@kernel(parallel=True)
def batchnorm_backward_train(grad_out, x_hat, weight, inv_std, grad_x, grad_weight, grad_bias):
    """Gradient through the batch statistics:
    dx = weight * inv_std / M * (M * g - sum(g) - x_hat * sum(g * x_hat))."""
    n_batch, channels, length = grad_out.shape
    count = n_batch * length
    for c in prange(channels):
        sum_g = 0.0
        sum_gx = 0.0
        for n in range(n_batch):
            g = grad_out[n, c]
            xh = x_hat[n, c]
            for p in range(length):
                sum_g += g[p]
                sum_gx += g[p] * xh[p]
        grad_weight[c] = sum_gx
        grad_bias[c] = sum_g
        k = weight[c] * inv_std[c] / count
        mean_g = sum_g
        for n in range(n_batch):
            g = grad_out[n, c]
            xh = x_hat[n, c]
            dx = grad_x[n, c]
            for p in range(length):
                dx[p] = k * (count * g[p] - mean_g - xh[p] * sum_gx)


@kernel(parallel=True)
def batchnorm_backward_eval(grad_out, x, weight, running_mean, running_var, eps,
                            grad_x, grad_weight, grad_bias):
    """Gradient of the affine map used at inference (statistics are constants)."""
    n_batch, channels, length = grad_out.shape
    for c in prange(channels):
        inv_std = 1.0 / np.sqrt(running_var[c] + eps)
        scale = weight[c] * inv_std
        sum_g = 0.0
        sum_gx = 0.0
        for n in range(n_batch):
            g = grad_out[n, c]
            row = x[n, c]
            dx = grad_x[n, c]
            for p in range(length):
                sum_g += g[p]
                sum_gx += g[p] * (row[p] - running_mean[c]) * inv_std
                dx[p] = g[p] * scale
        grad_weight[c] = sum_gx
        grad_bias[c] = sum_g
