"""The scikit-learn-like face the presets share: fit, predict, predict_proba, score,
save and load, with the input checks every public entry point needs."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..kernels.activation import softmax_forward
from ..losses import CrossEntropyLoss
from ..optim.optimizer import Optimizer
from ..sequential import Sequential
from ..training import Trainer, load_checkpoint, save_checkpoint
from ..training.checkpoint import CheckpointError


class Classifier(ABC):
    """A preset: a documented architecture with its documented training recipe.

    Subclasses define ``build_model``, ``make_optimizer`` and ``preprocess``; this class
    checks inputs, trains with :class:`~mytorch.training.Trainer`, predicts in batches
    (none dropped) and saves everything in one checkpoint.
    """

    def __init__(self, *, input_shape: tuple[int, int], num_classes: int, epochs: int,
                 batch_size: int, lr: float, seed: int, shuffle: bool, progress: bool,
                 dtype=np.float32, loss_reduction: str = "sum"):
        for name, value in (("epochs", epochs), ("batch_size", batch_size),
                            ("num_classes", num_classes)):
            if int(value) != value or value < 1:
                raise ValueError(f"{type(self).__name__}: expected {name} to be an integer >= 1, "
                                 f"got {value!r}")
        if num_classes < 2:
            raise ValueError(f"{type(self).__name__}: expected num_classes >= 2, got {num_classes}")
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: expected lr > 0, got {lr!r}")
        self.input_shape = tuple(int(v) for v in input_shape)
        self.num_classes, self.epochs, self.batch_size = int(num_classes), int(epochs), int(batch_size)
        self.lr, self.seed, self.shuffle, self.progress = float(lr), int(seed), shuffle, progress
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"{type(self).__name__}: expected dtype float32 or float64, got {dtype}")
        self.loss_reduction = loss_reduction
        self.model: Sequential | None = None
        self.optimizer: Optimizer | None = None
        self.history: list = []

    # --- what a preset defines ------------------------------------------------------------
    @abstractmethod
    def build_model(self, rng: np.random.Generator) -> Sequential:
        """The architecture, initialised from rng."""

    @abstractmethod
    def make_optimizer(self, model: Sequential) -> Optimizer:
        """The documented optimizer over model's parameters."""

    @abstractmethod
    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """Checked raw images -> model input (of the preset's dtype)."""

    def config(self) -> dict:
        """Constructor arguments (saved in checkpoints)."""
        return {"input_shape": list(self.input_shape), "num_classes": self.num_classes,
                "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr,
                "seed": self.seed, "shuffle": self.shuffle, "dtype": self.dtype.name}

    def training_data(self, images: np.ndarray, labels: np.ndarray,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The samples one epoch runs over (a preset may augment here)."""
        return images, labels

    # --- seeds ----------------------------------------------------------------------------
    def _seeds(self) -> list[np.random.SeedSequence]:
        """Independent streams for init, shuffling and augmentation, all from one seed."""
        return np.random.SeedSequence(self.seed).spawn(3)

    def initialize(self) -> Sequential:
        """Build the model and optimizer from the seed (fit calls this if needed)."""
        self.model = self.build_model(np.random.default_rng(self._seeds()[0])).to(self.dtype)
        self.optimizer = self.make_optimizer(self.model)
        return self.model

    def criterion(self) -> CrossEntropyLoss:
        return CrossEntropyLoss(reduction=self.loss_reduction)

    # --- checks ---------------------------------------------------------------------------
    def check_images(self, X) -> np.ndarray:
        """Raw images (N, H, W) or (N, 1, H, W), uint8 or float, finite, N > 0."""
        name = type(self).__name__
        if not isinstance(X, np.ndarray):
            raise TypeError(f"{name}: expected images as a numpy array, got {type(X).__name__}")
        h, w = self.input_shape
        if X.ndim not in (3, 4) or X.shape[-2:] != (h, w) or (X.ndim == 4 and X.shape[1] != 1):
            raise ValueError(f"{name}: expected images of shape (N, {h}, {w}) or (N, 1, {h}, {w}),"
                             f" got {X.shape}")
        if X.shape[0] == 0:
            raise ValueError(f"{name}: expected at least one image, got shape {X.shape}")
        if X.dtype.kind not in "uif":
            raise TypeError(f"{name}: expected uint8 or float pixel values, got dtype {X.dtype}")
        if X.dtype.kind == "f" and not np.isfinite(X).all():
            raise ValueError(f"{name}: expected finite pixel values, got NaN or inf")
        return X.reshape(X.shape[0], h, w)

    def check_labels(self, y, n: int) -> np.ndarray:
        """Integer labels (n,) in [0, num_classes)."""
        name = type(self).__name__
        y = np.asarray(y)
        if y.dtype.kind not in "iu":
            raise TypeError(f"{name}: expected integer class labels, got dtype {y.dtype}")
        if y.shape != (n,):
            raise ValueError(f"{name}: expected labels of shape ({n},) to match the images, "
                             f"got {y.shape}")
        if y.min() < 0 or y.max() >= self.num_classes:
            raise ValueError(f"{name}: expected labels in [0, {self.num_classes - 1}], got "
                             f"values from {y.min()} to {y.max()}")
        return y.astype(np.int64)

    def _check_batch_size(self, batch_size: int) -> int:
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"{type(self).__name__}: expected batch_size >= 1, got {batch_size!r}")
        return int(batch_size)

    # --- scikit-learn face ----------------------------------------------------------------
    def fit(self, X, y, validation_data=None, *, checkpoint: str | Path | None = None,
            patience: int | None = None, resume: bool = False) -> "Classifier":
        """Train on raw images X and integer labels y; returns self."""
        images = self.check_images(X)
        labels = self.check_labels(y, len(images))
        if validation_data is not None:
            val_images = self.check_images(validation_data[0])
            validation_data = (self.preprocess(val_images),
                               self.check_labels(validation_data[1], len(val_images)))
        if self.model is None:
            self.initialize()
        _, shuffle_seed, augment_seed = self._seeds()
        images, labels = self.training_data(images, labels, np.random.default_rng(augment_seed))
        trainer = Trainer(self.model, self.criterion(), self.optimizer,
                          batch_size=self.batch_size, shuffle=self.shuffle,
                          seed=shuffle_seed, progress=self.progress, checkpoint=checkpoint,
                          patience=patience, checkpoint_extra=self._checkpoint_extra())
        self.history = trainer.fit(self.preprocess(images), labels, self.epochs,
                                   validation_data=validation_data, resume=resume)
        return self

    def _require_model(self) -> Sequential:
        if self.model is None:
            raise ValueError(f"{type(self).__name__}: not fitted yet; call fit() or load() first")
        return self.model

    def decision_function(self, X, batch_size: int = 256) -> np.ndarray:
        """Logits (N, num_classes) in inference mode, for any N, computed batch_size
        images at a time (``Sequential.predict``)."""
        model = self._require_model()
        batch_size = self._check_batch_size(batch_size)
        return model.predict(self.preprocess(self.check_images(X)), batch_size)

    def predict_proba(self, X, batch_size: int = 256) -> np.ndarray:
        """Class probabilities (N, num_classes), softmax of the logits."""
        logits = self.decision_function(X, batch_size)
        probs = np.empty_like(logits)
        softmax_forward(logits, probs)
        return probs

    def predict(self, X, batch_size: int = 256) -> np.ndarray:
        """Predicted class per image."""
        return self.decision_function(X, batch_size).argmax(axis=1)

    def score(self, X, y, batch_size: int = 256) -> float:
        """Accuracy as a fraction."""
        images = self.check_images(X)
        labels = self.check_labels(y, len(images))
        return float(np.mean(self.predict(images, batch_size) == labels))

    # --- persistence ----------------------------------------------------------------------
    def _checkpoint_extra(self) -> dict:
        return {"preset": type(self).__name__, "config": self.config()}

    def save(self, path: str | Path) -> Path:
        """Weights, architecture, optimizer state and settings in one file (atomic)."""
        self._require_model()
        return save_checkpoint(path, self.model, self.optimizer,
                               epoch=len(self.history), extra=self._checkpoint_extra(),
                               history=[asdict(h) for h in self.history])

    @classmethod
    def load(cls, path: str | Path) -> "Classifier":
        """The preset saved at path (by ``save`` or by a training checkpoint)."""
        ckpt = load_checkpoint(path)
        saved = ckpt.extra.get("preset")
        if saved != cls.__name__:
            raise CheckpointError(f"{path}: holds preset {saved!r}, expected {cls.__name__!r}")
        preset = cls(**ckpt.extra["config"])
        preset.initialize()
        ckpt.restore_model(preset.model)
        ckpt.restore_optimizer(preset.optimizer)
        return preset
