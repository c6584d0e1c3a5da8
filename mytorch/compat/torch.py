"""PyTorch twins: the same network as a ``torch.nn.Sequential`` with identical weights and
identical settings (loss reduction, batch-norm eps and running-variance rule, optimizer
form), and weight conversion both ways. torch is imported here only."""
from __future__ import annotations

import math

import numpy as np

try:
    import torch
except ImportError as error:  # pragma: no cover - exercised only without torch
    raise ImportError("mytorch.compat.torch needs PyTorch: pip install torch==2.13.0") from error

from ..layers import BatchNorm, Conv2D, Dense, Flatten, MaxPool2x2, ReLU, Softmax
from ..optim import SGD, Adam
from ..sequential import Sequential


class BiasedBatchNorm(torch.nn.Module):
    """Batch norm whose running variance takes the biased batch variance (the original
    MyCNN's rule; torch's own BatchNorm always stores the unbiased one)."""

    def __init__(self, num_features: int, eps: float, momentum: float):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = torch.nn.Parameter(torch.ones(num_features))
        self.bias = torch.nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        dims = [0] + list(range(2, x.dim()))
        shape = [1, -1] + [1] * (x.dim() - 2)
        if self.training:
            mean, var = x.mean(dims), x.var(dims, unbiased=False)
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var)
        else:
            mean, var = self.running_mean, self.running_var
        x_hat = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        return x_hat * self.weight.view(shape) + self.bias.view(shape)


class AdamEpsHat(torch.optim.Optimizer):
    """The Adam paper's efficient form (eps outside the bias correction), as our
    ``Adam(eps_hat=True)``: theta -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(p.grad, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                alpha = group["lr"] * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
                p.addcdiv_(state["m"], state["v"].sqrt().add_(group["eps"]), value=-alpha)


def _torch_layer(layer, input_ndim: int):
    if isinstance(layer, Dense):
        return torch.nn.Linear(layer.in_features, layer.out_features)
    if isinstance(layer, Conv2D):
        padding = layer.padding if isinstance(layer.padding, str) else layer.padding
        return torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                               stride=layer.stride, padding=padding, bias="bias" in layer.params)
    if isinstance(layer, MaxPool2x2):
        return torch.nn.MaxPool2d(2)
    if isinstance(layer, BatchNorm):
        if not layer.unbiased_running_var:
            return BiasedBatchNorm(layer.num_features, layer.eps, layer.momentum)
        cls = torch.nn.BatchNorm2d if input_ndim == 4 else torch.nn.BatchNorm1d
        return cls(layer.num_features, eps=layer.eps, momentum=layer.momentum)
    if isinstance(layer, ReLU):
        return torch.nn.ReLU()
    if isinstance(layer, Softmax):
        return torch.nn.Softmax(dim=1)
    if isinstance(layer, Flatten):
        return torch.nn.Flatten()
    raise TypeError(f"to_torch: no PyTorch twin for layer {type(layer).__name__}")


def to_torch(model: Sequential, input_shape: tuple[int, ...]) -> "torch.nn.Sequential":
    """A torch.nn.Sequential of the same architecture and weights, in the model's dtype.
    ``input_shape`` (without the batch axis) tells 1-d from 2-d batch norm."""
    shape = (1, *input_shape)
    modules = []
    for layer in model:
        modules.append(_torch_layer(layer, len(shape)))
        shape = layer.output_shape(shape)
    twin = torch.nn.Sequential(*modules)
    if model.dtype == np.float64:
        twin = twin.double()
    load_into_torch(model, twin)
    return twin


def load_into_torch(model: Sequential, twin: "torch.nn.Sequential") -> None:
    """Copy our parameters and buffers into the twin (torch-only keys left alone)."""
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in model.state_dict().items()}
    missing, unexpected = twin.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"load_into_torch: missing {missing}, unexpected {unexpected}")


def from_torch(twin: "torch.nn.Module", model: Sequential) -> None:
    """Copy the twin's parameters and buffers into our model (keeping our dtype)."""
    model.load_state_dict({k: v.detach().cpu().numpy() for k, v in twin.state_dict().items()})


def optimizer_twin(optimizer, twin: "torch.nn.Module") -> "torch.optim.Optimizer":
    """The torch optimizer with our optimizer's settings over the twin's parameters."""
    d = optimizer.defaults
    params = list(twin.parameters())
    if isinstance(optimizer, SGD):
        return torch.optim.SGD(params, lr=d["lr"], momentum=d["momentum"],
                               dampening=d["dampening"], weight_decay=d["weight_decay"],
                               nesterov=d["nesterov"])
    if isinstance(optimizer, Adam):
        if d["eps_hat"]:
            if d["weight_decay"]:
                raise ValueError("optimizer_twin: eps_hat Adam with weight decay has no twin")
            return AdamEpsHat(params, lr=d["lr"], betas=d["betas"], eps=d["eps"])
        return torch.optim.Adam(params, lr=d["lr"], betas=d["betas"], eps=d["eps"],
                                weight_decay=d["weight_decay"])
    raise TypeError(f"optimizer_twin: no PyTorch twin for {type(optimizer).__name__}")


def loss_twin(criterion) -> "torch.nn.Module":
    """torch.nn.CrossEntropyLoss with the same reduction."""
    return torch.nn.CrossEntropyLoss(reduction=criterion.reduction)


from .compare import ComparisonResult, compare  # noqa: E402  (compare builds on the twins)

__all__ = ["to_torch", "from_torch", "load_into_torch", "optimizer_twin", "loss_twin",
           "BiasedBatchNorm", "AdamEpsHat", "compare", "ComparisonResult"]
