"""Optimizer updates as in-place element-wise kernels on flat parameter arrays."""
from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import kernel


@kernel(parallel=True)
def sgd_update(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay,
               nesterov, first_step):
    """torch.optim.SGD for one tensor:
    g = grad + wd*p; b = g (first step) or momentum*b + (1-dampening)*g;
    step = g + momentum*b (Nesterov) or b; p -= lr*step."""
    p = param.reshape(-1)
    gr = grad.reshape(-1)
    buf = momentum_buffer.reshape(-1)
    for i in prange(p.shape[0]):
        g = gr[i] + weight_decay * p[i]
        if momentum != 0.0:
            if first_step:
                b = g
            else:
                b = momentum * buf[i] + (1.0 - dampening) * g
            buf[i] = b
            g = g + momentum * b if nesterov else b
        p[i] -= lr * g


@kernel(parallel=True)
def adam_update(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                step, eps_hat):
    """torch.optim.Adam for one tensor (L2 weight decay added to the gradient):
    m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    torch form:     p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
    eps_hat form:   p -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)   (Adam paper, sec. 2)
    Both are p -= a * m / (sqrt(v) * b + eps), which keeps the loop free of branches.
    The arithmetic runs in the parameters' dtype, as in PyTorch.
    """
    p = param.reshape(-1)
    gr = grad.reshape(-1)
    m = exp_avg.reshape(-1)
    v = exp_avg_sq.reshape(-1)
    step_size = lr / (1.0 - beta1 ** step)
    sqrt_bias2 = np.sqrt(1.0 - beta2 ** step)
    # The constants in the parameters' dtype, so float32 runs in float32 SIMD lanes.
    c = np.empty(8, p.dtype)
    c[0], c[1], c[2], c[3] = beta1, 1.0 - beta1, beta2, 1.0 - beta2
    c[4] = step_size * sqrt_bias2 if eps_hat else step_size
    c[5] = 1.0 if eps_hat else 1.0 / sqrt_bias2
    c[6], c[7] = eps, weight_decay
    b1, one_minus_b1, b2, one_minus_b2, a, b, e, wd = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
    for i in prange(p.shape[0]):
        g = gr[i] + wd * p[i]
        mi = b1 * m[i] + one_minus_b1 * g
        vi = b2 * v[i] + one_minus_b2 * g * g
        m[i] = mi
        v[i] = vi
        p[i] -= a * mi / (np.sqrt(vi) * b + e)
