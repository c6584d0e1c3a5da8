"""Stochastic gradient descent, step for step as torch.optim.SGD."""
from __future__ import annotations

import numpy as np

from ..kernels._jit import sized
from ..kernels.optim import sgd_update
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""SGD with optional momentum, dampening, Nesterov and L2 weight decay.

    .. math::
        g_t = \nabla_\theta + \lambda\theta_{t-1},\quad
        b_t = \begin{cases} g_1 & t = 1 \\ \mu b_{t-1} + (1-\tau) g_t & t > 1 \end{cases},\quad
        \theta_t = \theta_{t-1} - \eta\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    Example:
        >>> opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
        >>> opt.step()
    """

    def __init__(self, parameters, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening 0")
        super().__init__(parameters, dict(lr=lr, momentum=momentum, dampening=dampening,
                                          weight_decay=weight_decay, nesterov=nesterov))

    def step(self) -> None:
        """Update every parameter in place from its gradient."""
        d = self.defaults
        hyper = (float(d["lr"]), float(d["momentum"]), float(d["dampening"]),
                 float(d["weight_decay"]), bool(d["nesterov"]))
        for param, grad, state in zip(self.params, self.grad_arrays, self.state):
            first = False
            if d["momentum"] == 0:
                buffer = param  # not read: without momentum no buffer is kept (as in PyTorch)
            else:
                first = "momentum_buffer" not in state
                if first:
                    state["momentum_buffer"] = np.zeros_like(param)
                buffer = state["momentum_buffer"]
            sized(sgd_update, param.size)(param, grad, buffer, *hyper, first)
