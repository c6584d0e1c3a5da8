"""Optimizer updates as in-place element-wise kernels on flat parameter arrays."""
from __future__ import annotations

import numpy as np

from ._jit import kernel


@kernel
def sgd_update(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay,
               nesterov, first_step):
    """torch.optim.SGD for one tensor:
    g = grad + wd*p; b = g (first step) or momentum*b + (1-dampening)*g;
    step = g + momentum*b (Nesterov) or b; p -= lr*step."""
    p = param.reshape(-1)
    gr = grad.reshape(-1)
    buf = momentum_buffer.reshape(-1)
    for i in range(p.shape[0]):
        g = gr[i] + weight_decay * p[i]
        if momentum != 0.0:
            if first_step:
                b = g
            else:
                b = momentum * buf[i] + (1.0 - dampening) * g
            buf[i] = b
            g = g + momentum * b if nesterov else b
        p[i] -= lr * g


@kernel
def adam_update(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                step, eps_hat):
    """torch.optim.Adam for one tensor (L2 weight decay added to the gradient):
    m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    torch form:     p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
    eps_hat form:   p -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)   (Adam paper, sec. 2)
    """
    p = param.reshape(-1)
    gr = grad.reshape(-1)
    m = exp_avg.reshape(-1)
    v = exp_avg_sq.reshape(-1)
    bias1 = 1.0 - beta1 ** step
    bias2 = 1.0 - beta2 ** step
    step_size = lr / bias1
    sqrt_bias2 = np.sqrt(bias2)
    for i in range(p.shape[0]):
        g = gr[i] + weight_decay * p[i]
        m[i] = beta1 * m[i] + (1.0 - beta1) * g
        v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
        if eps_hat:
            p[i] -= step_size * sqrt_bias2 * m[i] / (np.sqrt(v[i]) + eps)
        else:
            p[i] -= step_size * m[i] / (np.sqrt(v[i]) / sqrt_bias2 + eps)
