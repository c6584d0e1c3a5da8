"""Classification metrics on predicted and true integer labels."""
from __future__ import annotations

import numpy as np


def _check_labels(predicted: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    predicted, target = np.asarray(predicted), np.asarray(target)
    if predicted.shape != target.shape or predicted.ndim != 1 or predicted.size == 0:
        raise ValueError(f"expected two non-empty 1-D label arrays of one length, got shapes "
                         f"{predicted.shape} and {target.shape}")
    return predicted, target


def accuracy(predicted: np.ndarray, target: np.ndarray) -> float:
    """Fraction of positions where predicted == target."""
    predicted, target = _check_labels(predicted, target)
    return float(np.mean(predicted == target))


def confusion_matrix(predicted: np.ndarray, target: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts; row = true class, column = predicted class."""
    predicted, target = _check_labels(predicted, target)
    for name, labels in (("predicted", predicted), ("target", target)):
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(f"confusion_matrix: expected {name} labels in [0, {num_classes - 1}],"
                             f" got values from {labels.min()} to {labels.max()}")
    flat = target.astype(np.int64) * num_classes + predicted.astype(np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def format_confusion_matrix(matrix: np.ndarray, class_names: list[str] | None = None) -> str:
    """The matrix as a text table with true classes as rows."""
    k = matrix.shape[0]
    names = class_names or [str(i) for i in range(k)]
    width = max(max(len(n) for n in names), len(str(matrix.max()))) + 1
    header = " " * (width + 1) + "".join(f"{n[:width]:>{width}}" for n in names)
    rows = [f"{names[i][:width]:>{width}} " + "".join(f"{v:>{width}}" for v in matrix[i])
            for i in range(k)]
    return "\n".join(["rows: true class, columns: predicted", header, *rows])
