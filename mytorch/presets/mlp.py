"""MyMLP: the documented fully connected MNIST classifier (../shared/SEED_MODELS.md)."""
from __future__ import annotations

import math

import numpy as np

from .. import init
from ..data.augment import augment_dataset
from ..layers import Dense, ReLU
from ..optim import Adam
from ..sequential import Sequential
from .classifier import Classifier


class MyMLP(Classifier):
    """Dense(784→75) ReLU Dense(75→25) ReLU Dense(25→10), trained with Adam in the paper's
    efficient form (lr 0.001, betas 0.9/0.999, eps 1e-8) on the summed cross-entropy,
    batch 16, for 15 epochs, on pixels / 255, over the training set augmented twice
    (each copy shifted by up to ±5 % and rotated by up to ±0.05 of a turn).

    Init: first weight N(0, 1/fan_in), the others N(0, 2/fan_in); biases 0.

    The original never shuffled (a defect we do not copy): ``shuffle=True`` is the default
    here, and ``shuffle=False`` takes the batches in order as the original did.

    Args:
        hidden: hidden layer widths (any depth).
        input_shape, num_classes, epochs, batch_size, lr, seed, shuffle: as above.
        augment_copies: augmented copies of the training set (0 trains on it unchanged).
        max_shift, max_rotation: augmentation ranges (fraction of size, fraction of a turn).
        progress: show progress bars while training.
        dtype: float32 (default) or float64 for parameters and inputs.

    Example:
        >>> clf = MyMLP(epochs=1, augment_copies=0).fit(train_images, train_labels)
        >>> clf.predict(test_images[:5])
    """

    def __init__(self, hidden: tuple[int, ...] = (75, 25), input_shape: tuple[int, int] = (28, 28),
                 num_classes: int = 10, epochs: int = 15, batch_size: int = 16,
                 lr: float = 0.001, seed: int = 0, shuffle: bool = True,
                 augment_copies: int = 2, max_shift: float = 0.05, max_rotation: float = 0.05,
                 progress: bool = True, dtype=np.float32):
        super().__init__(input_shape=input_shape, num_classes=num_classes, epochs=epochs,
                         batch_size=batch_size, lr=lr, seed=seed, shuffle=shuffle,
                         progress=progress, dtype=dtype)
        if not hidden or min(hidden) < 1:
            raise ValueError(f"MyMLP: expected positive hidden sizes, got {hidden!r}")
        if augment_copies < 0:
            raise ValueError(f"MyMLP: expected augment_copies >= 0, got {augment_copies}")
        self.hidden = tuple(int(h) for h in hidden)
        self.augment_copies = int(augment_copies)
        self.max_shift, self.max_rotation = float(max_shift), float(max_rotation)

    def config(self) -> dict:
        return {**super().config(), "hidden": list(self.hidden),
                "augment_copies": self.augment_copies, "max_shift": self.max_shift,
                "max_rotation": self.max_rotation}

    def build_model(self, rng: np.random.Generator) -> Sequential:
        sizes = [math.prod(self.input_shape), *self.hidden, self.num_classes]
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            dense = Dense(fan_in, fan_out)
            gain = 1.0 if i == 0 else 2.0  # the original: sqrt(1/784), then He
            init.normal_(dense.params["weight"], math.sqrt(gain / fan_in), rng=rng)
            init.zeros_(dense.params["bias"])
            layers += [dense, ReLU()]
        return Sequential(*layers[:-1])

    def make_optimizer(self, model: Sequential) -> Adam:
        return Adam(model.parameters(), lr=self.lr, betas=(0.9, 0.999), eps=1e-8, eps_hat=True)

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """Flattened float32 pixels / 255."""
        return images.reshape(len(images), -1).astype(self.dtype) / self.dtype.type(255.0)

    def training_data(self, images, labels, rng):
        if self.augment_copies == 0:
            return images, labels
        return augment_dataset(images, labels, copies=self.augment_copies,
                               max_shift=self.max_shift, max_rotation=self.max_rotation, rng=rng)
