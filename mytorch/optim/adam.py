"""Adam, step for step as torch.optim.Adam, with the paper's "efficient" form as an option."""
from __future__ import annotations

import numpy as np

from ..kernels._jit import sized
from ..kernels.optim import adam_update
from .optimizer import Optimizer


class Adam(Optimizer):
    r"""Adam with L2 weight decay added to the gradient (as torch.optim.Adam).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2

        \text{default:}\quad \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}
            \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}

        \text{eps\_hat=True:}\quad \theta_t = \theta_{t-1} - \eta\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
            \frac{m_t}{\sqrt{v_t} + \hat\epsilon}

    The ``eps_hat`` form is the Adam paper's efficient version (section 2), which the
    original MyMLP used; it differs from the default only in where epsilon enters.

    Example:
        >>> opt = Adam(model.parameters(), lr=1e-3)
        >>> opt.step()
    """

    def __init__(self, parameters, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, eps_hat: bool = False):
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1) or eps < 0:
            raise ValueError(f"Adam: expected 0 <= betas < 1 and eps >= 0, got betas={betas}, "
                             f"eps={eps}")
        super().__init__(parameters, dict(lr=lr, betas=tuple(betas), eps=eps,
                                          weight_decay=weight_decay, eps_hat=eps_hat))

    def step(self) -> None:
        """Update every parameter in place from its gradient."""
        d = self.defaults
        beta1, beta2 = d["betas"]
        hyper = (float(d["lr"]), float(beta1), float(beta2), float(d["eps"]),
                 float(d["weight_decay"]))
        eps_hat = bool(d["eps_hat"])
        for param, grad, state in zip(self.params, self.grad_arrays, self.state):
            if not state:
                state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
            state["step"] += 1
            sized(adam_update, param.size)(param, grad, state["exp_avg"], state["exp_avg_sq"],
                                           *hyper, state["step"], eps_hat)
