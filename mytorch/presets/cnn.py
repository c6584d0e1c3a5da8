"""MyCNN: the documented convolutional MNIST classifier (../shared/SEED_MODELS.md)."""
from __future__ import annotations

import numpy as np

from .. import init
from ..layers import BatchNorm, Conv2D, Dense, Flatten, MaxPool2x2, ReLU
from ..optim import SGD
from ..sequential import Sequential
from .classifier import Classifier


class MyCNN(Classifier):
    """Conv(1→8, 5x5, same) ReLU MaxPool BN → Conv(8→16) ReLU MaxPool BN → Flatten →
    Dense(784→128) ReLU BN → Dense(128→10), trained with plain SGD (lr 0.005) on the
    summed cross-entropy, batch 32, reshuffled every epoch, on raw 0–255 pixels.

    Batch norm follows the original: eps 1e-3, biased variance in the running statistics,
    running = 0.9·running + 0.1·batch. Weights are Glorot-uniform with the original's
    fans (conv: in·k·k and out channels); biases 0.

    Args:
        filters: channel counts of the two convolutions.
        kernel_size: odd kernel size of both convolutions.
        hidden: width of the hidden dense layer.
        input_shape: image height and width (each divisible by 4 keeps every pixel).
        num_classes, epochs, batch_size, lr, seed, shuffle: as documented above.
        bn_eps: batch-norm epsilon.
        progress: show progress bars while training.
        dtype: float32 (default) or float64 for parameters and inputs.

    Example:
        >>> clf = MyCNN(epochs=1).fit(train_images, train_labels)
        >>> clf.score(test_images, test_labels)
    """

    def __init__(self, filters: tuple[int, int] = (8, 16), kernel_size: int = 5,
                 hidden: int = 128, input_shape: tuple[int, int] = (28, 28),
                 num_classes: int = 10, epochs: int = 10, batch_size: int = 32,
                 lr: float = 0.005, seed: int = 0, shuffle: bool = True, bn_eps: float = 1e-3,
                 progress: bool = True, dtype=np.float32):
        super().__init__(input_shape=input_shape, num_classes=num_classes, epochs=epochs,
                         batch_size=batch_size, lr=lr, seed=seed, shuffle=shuffle,
                         progress=progress, dtype=dtype)
        if len(filters) != 2 or min(filters) < 1:
            raise ValueError(f"MyCNN: expected two positive filter counts, got {filters!r}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"MyCNN: expected an odd kernel_size, got {kernel_size}")
        if min(self.input_shape) < 4:
            raise ValueError(f"MyCNN: expected input height and width >= 4, got {input_shape}")
        self.filters, self.kernel_size, self.hidden = tuple(filters), int(kernel_size), int(hidden)
        self.bn_eps = float(bn_eps)

    def config(self) -> dict:
        return {**super().config(), "filters": list(self.filters), "kernel_size": self.kernel_size,
                "hidden": self.hidden, "bn_eps": self.bn_eps}

    def _batchnorm(self, channels: int) -> BatchNorm:
        return BatchNorm(channels, eps=self.bn_eps, momentum=0.1, unbiased_running_var=False)

    def build_model(self, rng: np.random.Generator) -> Sequential:
        f1, f2 = self.filters
        k = self.kernel_size
        h, w = self.input_shape
        flat = f2 * (h // 4) * (w // 4)
        model = Sequential(
            Conv2D(1, f1, k, padding="same"), ReLU(), MaxPool2x2(), self._batchnorm(f1),
            Conv2D(f1, f2, k, padding="same"), ReLU(), MaxPool2x2(), self._batchnorm(f2),
            Flatten(),
            Dense(flat, self.hidden), ReLU(), self._batchnorm(self.hidden),
            Dense(self.hidden, self.num_classes),
        )
        for layer in (model[0], model[4]):  # the original's fans: in·k·k and out channels
            fan_in = layer.in_channels * k * k
            init.glorot_uniform_(layer.params["weight"], fan_in, layer.out_channels, rng=rng)
        for layer in (model[9], model[12]):
            init.glorot_uniform_(layer.params["weight"], rng=rng)
        for layer in model:
            if "bias" in layer.params and not isinstance(layer, BatchNorm):
                init.zeros_(layer.params["bias"])
        return model

    def make_optimizer(self, model: Sequential) -> SGD:
        return SGD(model.parameters(), lr=self.lr)

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """Raw pixel values as float32 (N, 1, H, W), not rescaled (as documented)."""
        return images.astype(self.dtype).reshape(len(images), 1, *self.input_shape)
