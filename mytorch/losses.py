"""Loss functions: ``loss = criterion(output, target)``, then ``criterion.backward()``
returns dL/d(output) for ``model.backward``."""
from __future__ import annotations

import numpy as np

from .kernels.loss import cross_entropy_forward_backward
from .layers.base import FLOAT_DTYPES

_REDUCTIONS = ("mean", "sum")


def _check_reduction(name: str, reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean' or 'sum', got {reduction!r}")
    return reduction


def _check_float(name: str, what: str, array) -> None:
    if not isinstance(array, np.ndarray) or array.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name}: expected {what} as a float32 or float64 array, got "
                        f"{getattr(array, 'dtype', type(array).__name__)}")


class CrossEntropyLoss:
    """Softmax cross-entropy on logits with integer class labels (PyTorch's
    nn.CrossEntropyLoss): loss = -log softmax(logits)[label], averaged or summed.

    Args:
        reduction: "mean" (default, as PyTorch) or "sum" (the original MyMLP/MyCNN).

    Example:
        >>> criterion = CrossEntropyLoss()
        >>> loss = criterion(np.zeros((2, 3)), np.array([0, 2]))
        >>> grad_logits = criterion.backward()
    """

    def __init__(self, reduction: str = "mean"):
        self.reduction = _check_reduction("CrossEntropyLoss", reduction)
        self._grad: np.ndarray | None = None

    def __call__(self, logits: np.ndarray, labels: np.ndarray) -> float:
        return self.forward(logits, labels)

    def forward(self, logits: np.ndarray, labels: np.ndarray) -> float:
        """The loss as a Python float; the gradient is computed alongside and kept."""
        _check_float("CrossEntropyLoss", "logits (N, num_classes)", logits)
        if logits.ndim != 2 or logits.shape[0] == 0:
            raise ValueError(f"CrossEntropyLoss: expected logits (N, num_classes) with N > 0, "
                             f"got shape {logits.shape}")
        labels = np.asarray(labels)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"CrossEntropyLoss: expected integer class labels, got dtype "
                            f"{labels.dtype}")
        if labels.shape != (logits.shape[0],):
            raise ValueError(f"CrossEntropyLoss: expected labels of shape ({logits.shape[0]},), "
                             f"got {labels.shape}")
        scale = 1.0 / logits.shape[0] if self.reduction == "mean" else 1.0
        logits = np.ascontiguousarray(logits)
        grad = np.empty_like(logits)
        loss, bad = cross_entropy_forward_backward(logits, labels.astype(np.int64, copy=False),
                                                   scale, grad)
        if bad >= 0:
            raise ValueError(f"CrossEntropyLoss: expected labels in [0, {logits.shape[1] - 1}], "
                             f"got {labels[bad]}")
        self._grad = grad
        return float(loss)

    def backward(self) -> np.ndarray:
        """dL/d(logits) of the last call."""
        if self._grad is None:
            raise ValueError("CrossEntropyLoss.backward: called before the loss was computed")
        return self._grad


class MSELoss:
    """Mean squared error (PyTorch's nn.MSELoss): mean or sum of (output - target)^2.

    Example:
        >>> MSELoss()(np.ones((2, 2)), np.zeros((2, 2)))
        1.0
    """

    def __init__(self, reduction: str = "mean"):
        self.reduction = _check_reduction("MSELoss", reduction)
        self._grad: np.ndarray | None = None

    def __call__(self, output: np.ndarray, target: np.ndarray) -> float:
        return self.forward(output, target)

    def forward(self, output: np.ndarray, target: np.ndarray) -> float:
        """The loss as a Python float; the gradient is computed alongside and kept."""
        _check_float("MSELoss", "output", output)
        _check_float("MSELoss", "target", target)
        if output.shape != target.shape or output.size == 0:
            raise ValueError(f"MSELoss: expected output and target of one non-empty shape, "
                             f"got {output.shape} and {target.shape}")
        diff = output - target.astype(output.dtype, copy=False)
        scale = 1.0 / diff.size if self.reduction == "mean" else 1.0
        self._grad = (2.0 * scale) * diff
        return float(np.dot(diff.ravel(), diff.ravel()) * scale)

    def backward(self) -> np.ndarray:
        """dL/d(output) of the last call."""
        if self._grad is None:
            raise ValueError("MSELoss.backward: called before the loss was computed")
        return self._grad
