"""A finite-difference gradient checker for any layer or Sequential, in float64."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np


@dataclass
class GradcheckResult:
    """What gradcheck compared: per tensor ('input', '0.weight', ...) the worst error,
    how many entries were checked and how many were skipped as kinks."""
    passed: bool
    max_error: dict[str, float] = field(default_factory=dict)
    checked: dict[str, int] = field(default_factory=dict)
    kinks: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed


def _named_params(model) -> list[tuple[str, np.ndarray, np.ndarray]]:
    layers = list(model) if hasattr(model, "layers") else [model]
    prefix = hasattr(model, "layers")
    return [((f"{i}.{name}" if prefix else name), layer.params[name], layer.grads[name])
            for i, layer in enumerate(layers) for name in layer.params]


def gradcheck(model, x: np.ndarray, *, training: bool = True, eps: float = 1e-6,
              atol: float = 1e-6, rtol: float = 1e-4, max_checks: int = 40, seed: int = 0,
              raise_on_failure: bool = True) -> GradcheckResult:
    """Compare backward's gradients with central finite differences.

    A deep copy of ``model`` is cast to float64; the scalar checked is
    L = sum(forward(x) * R) for a fixed random R, so every output entry matters. For the
    input and for every parameter, up to ``max_checks`` entries (chosen from ``seed``)
    are perturbed by +-eps. An entry where the left and right one-sided differences
    disagree is at a kink (ReLU at 0, a max-pool tie) where the function has no
    derivative: it is skipped and counted, not failed. Buffers (running statistics) are
    restored after every forward so that repeated calls do not drift.

    Returns a GradcheckResult; raises AssertionError on a mismatch unless
    ``raise_on_failure`` is False.

    Example:
        >>> gradcheck(Conv2D(3, 8, 3), np.random.rand(2, 3, 7, 7))
    """
    model = copy.deepcopy(model).to(np.float64)
    if hasattr(model, "train"):
        model.train(training)
    x = np.array(x, dtype=np.float64)
    layers = list(model) if hasattr(model, "layers") else [model]
    saved_buffers = [{k: v.copy() for k, v in layer.buffers.items()} for layer in layers]

    def restore() -> None:
        for layer, saved in zip(layers, saved_buffers):
            for k, v in saved.items():
                layer.buffers[k][...] = v

    def loss() -> float:
        out = model.forward(x, training)
        restore()
        return float(np.sum(out * weights))

    rng = np.random.default_rng(seed)
    out = model.forward(x, training)
    weights = rng.standard_normal(out.shape)
    grad_x = model.backward(weights.copy()).copy()  # later forwards may reuse its memory
    restore()
    base = loss()  # f at the unperturbed point; perturbations are undone exactly
    tensors = [("input", x, grad_x)] + [(n, p, g.copy()) for n, p, g in _named_params(model)]

    result = GradcheckResult(passed=True)
    failures = []
    for name, tensor, analytic in tensors:
        flat, grad_flat = tensor.reshape(-1), analytic.reshape(-1)
        picks = rng.choice(flat.size, size=min(max_checks, flat.size), replace=False)
        worst, kinks = 0.0, 0
        for i in picks:
            original = flat[i]
            flat[i] = original + eps
            up = loss()
            flat[i] = original - eps
            down = loss()
            flat[i] = original
            right, left = (up - base) / eps, (base - down) / eps
            if abs(right - left) > 1e-3 * max(1.0, abs(right) + abs(left)):
                kinks += 1
                continue
            numeric = (up - down) / (2 * eps)
            error = abs(numeric - grad_flat[i])
            worst = max(worst, error / (atol + rtol * abs(numeric)))
            if error > atol + rtol * abs(numeric):
                where = ", ".join(str(int(j)) for j in np.unravel_index(i, tensor.shape))
                failures.append(f"{name}[{where}]: backward "
                                f"{grad_flat[i]:.8g}, finite difference {numeric:.8g}")
        result.max_error[name] = worst
        result.checked[name] = len(picks) - kinks
        result.kinks[name] = kinks
    result.passed = not failures
    if failures and raise_on_failure:
        raise AssertionError("gradcheck failed:\n  " + "\n  ".join(failures[:10]))
    return result
