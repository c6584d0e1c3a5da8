"""Write a layer of your own (LeakyReLU and Dropout), check its backward with gradcheck,
and train a model that uses it.

    python examples/custom_layer.py [--quick]
"""
from __future__ import annotations

import argparse

import numpy as np

import mytorch as mt
from mytorch.testing import gradcheck


class LeakyReLU(mt.Layer):
    """y = x if x > 0 else slope * x."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope
        self._x = None

    def forward(self, x, training=True):
        self._check_input(x, (2, 3, 4), "(N, ...)")  # the base class names layer and shape
        self._x = x
        return self._remember_output(np.where(x > 0, x, self.negative_slope * x))

    def backward(self, grad_output):
        grad_output = self._check_grad(grad_output, self._x)
        return np.where(self._x > 0, grad_output, self.negative_slope * grad_output)


class Dropout(mt.Layer):
    """Zero each input with probability p while training, scaling the rest by 1/(1-p)."""

    def __init__(self, p: float = 0.5, rng=None):
        super().__init__()
        self.p = p
        self.rng = np.random.default_rng(rng)
        self._mask = None

    def forward(self, x, training=True):
        self._check_input(x, (2, 3, 4), "(N, ...)")
        if training and self.p > 0:
            keep = self.rng.random(x.shape) >= self.p
            self._mask = keep.astype(x.dtype) / (1 - self.p)
        else:
            self._mask = np.ones_like(x)
        return self._remember_output(x * self._mask)

    def backward(self, grad_output):
        grad_output = self._check_grad(grad_output, self._mask)
        return grad_output * self._mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    print("gradcheck LeakyReLU:", bool(gradcheck(LeakyReLU(0.1), rng.normal(size=(4, 6)))))
    # Dropout draws a new mask at every forward; in eval mode it is the identity, and
    # that is what a finite-difference check can test.
    print("gradcheck Dropout (eval):", bool(gradcheck(Dropout(0.3), rng.normal(size=(4, 6)),
                                                      training=False)))
    model = mt.Sequential(mt.Dense(20, 32, rng=rng), LeakyReLU(0.1), Dropout(0.2, rng=1),
                          mt.Dense(32, 3, rng=rng))
    print("gradcheck model (eval):", bool(gradcheck(model, rng.normal(size=(5, 20)),
                                                    training=False)))

    x = rng.normal(size=(600, 20)).astype(np.float32)
    y = (x[:, :3].sum(1) > 0).astype(np.int64) + (x[:, 3] > 1)
    criterion, optimizer = mt.CrossEntropyLoss(), mt.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(50 if args.quick else 300):
        batch = rng.choice(len(x), 32, replace=False)
        criterion(model.forward(x[batch]), y[batch])
        model.backward(criterion.backward())
        optimizer.step()
    model.eval()
    print(f"training accuracy: {100 * np.mean(model.forward(x).argmax(1) == y):.1f} %")


if __name__ == "__main__":
    main()
