"""The training loop: batches, progress, history, validation, early stopping,
checkpoints and a clear stop on NaN."""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..data.loader import DataLoader
from ..sequential import Sequential
from .checkpoint import load_checkpoint, save_checkpoint


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite."""


@dataclass
class EpochStats:
    """One row of the training history."""
    epoch: int
    loss: float
    accuracy: float
    seconds: float
    samples_per_second: float
    val_loss: float | None = None
    val_accuracy: float | None = None

    def line(self, epochs: int) -> str:
        text = (f"epoch {self.epoch}/{epochs}  loss {self.loss:.4f}  "
                f"accuracy {100 * self.accuracy:.2f}%")
        if self.val_loss is not None:
            text += f"  val_loss {self.val_loss:.4f}  val_accuracy {100 * self.val_accuracy:.2f}%"
        return text + f"  {self.seconds:.1f} s  {self.samples_per_second:,.0f} samples/s"


def train_step(model: Sequential, criterion, optimizer, x: np.ndarray, y: np.ndarray):
    """One step: forward, loss, backward, update. Returns (loss, logits)."""
    logits = model.forward(x, training=True)
    loss = criterion(logits, y)
    model.backward(criterion.backward(), input_grad=False)
    optimizer.step()
    return loss, logits


class Trainer:
    """Trains a Sequential classifier on arrays.

    Args:
        model, criterion, optimizer: what to train, the loss and the update rule.
        batch_size: samples per step; the last partial batch is kept.
        shuffle: reshuffle the training set every epoch.
        seed: seeds the shuffling generator (the run is reproducible bit for bit).
        progress: show a tqdm bar with running loss and throughput, and a line per epoch.
        checkpoint: path written (atomically) after every epoch; ``fit(resume=True)``
            continues from it exactly.
        patience: early stopping: stop when the monitored value has not improved for this
            many epochs and restore the best weights (needs validation data).
        monitor: "val_loss" (lower is better) or "val_accuracy" (higher is better).

    Example:
        >>> trainer = Trainer(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.01))
        >>> history = trainer.fit(X, y, epochs=5, validation_data=(X_val, y_val))
    """

    def __init__(self, model: Sequential, criterion, optimizer, *, batch_size: int = 32,
                 shuffle: bool = True, seed: int = 0, progress: bool = True,
                 checkpoint: str | Path | None = None, patience: int | None = None,
                 monitor: str = "val_loss", eval_batch_size: int = 1000,
                 checkpoint_extra: dict | None = None):
        if monitor not in ("val_loss", "val_accuracy"):
            raise ValueError(f"Trainer: monitor must be 'val_loss' or 'val_accuracy', "
                             f"got {monitor!r}")
        if patience is not None and patience < 1:
            raise ValueError(f"Trainer: patience must be >= 1, got {patience}")
        self.model, self.criterion, self.optimizer = model, criterion, optimizer
        self.batch_size, self.shuffle, self.progress = batch_size, shuffle, progress
        self.rng = np.random.default_rng(seed)
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.patience, self.monitor = patience, monitor
        self.eval_batch_size = eval_batch_size
        self.checkpoint_extra = checkpoint_extra or {}
        self.history: list[EpochStats] = []
        self._best: tuple[float, dict] | None = None
        self._wait = 0

    # evaluation ----------------------------------------------------------------------------
    def predict_logits(self, X: np.ndarray) -> np.ndarray:
        """Logits for every sample, in inference mode, in batches (none dropped)."""
        outputs = [self.model.forward(X[i:i + self.eval_batch_size], training=False)
                   for i in range(0, len(X), self.eval_batch_size)]
        return np.concatenate(outputs)

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean loss per sample, accuracy) in inference mode."""
        logits = self.predict_logits(X)
        loss = self.criterion(logits, y)
        if getattr(self.criterion, "reduction", "mean") == "sum":
            loss /= len(y)
        return loss, float(np.mean(logits.argmax(axis=1) == y))

    # training ------------------------------------------------------------------------------
    def fit(self, X: np.ndarray, y: np.ndarray, epochs: int, validation_data=None,
            resume: bool = False) -> list[EpochStats]:
        """Train for ``epochs`` epochs in all (counting those a resumed run already did)
        and return the history. Raises TrainingDiverged if the loss stops being finite."""
        if epochs < 1:
            raise ValueError(f"Trainer.fit: expected epochs >= 1, got {epochs}")
        if self.patience is not None and validation_data is None:
            raise ValueError("Trainer.fit: early stopping (patience) needs validation_data")
        start = self._resume() if resume else 0
        loader = DataLoader(X, y, batch_size=self.batch_size, shuffle=self.shuffle, seed=self.rng)
        for epoch in range(start + 1, epochs + 1):
            stats = self._run_epoch(loader, epoch, epochs)
            if validation_data is not None:
                stats.val_loss, stats.val_accuracy = self.evaluate(*validation_data)
            self.history.append(stats)
            if self.progress:
                tqdm.write(stats.line(epochs))
            stop = self._early_stopping(stats)
            if self.checkpoint is not None:
                self.save(self.checkpoint, epoch)
            if stop:
                if self.progress:
                    tqdm.write(f"early stopping: no improvement in {self.monitor} for "
                               f"{self.patience} epochs; restored the best weights")
                break
        if self._best is not None:
            self.model.load_state_dict(self._best[1])
        return self.history

    def _run_epoch(self, loader: DataLoader, epoch: int, epochs: int) -> EpochStats:
        total_loss, correct, seen = 0.0, 0, 0
        start = time.perf_counter()
        bar = tqdm(total=loader.num_samples,
                   desc=f"epoch {epoch}/{epochs}", unit="sample", unit_scale=True,
                   disable=not self.progress, leave=False, mininterval=0.5)
        for step, (xb, yb) in enumerate(loader, start=1):
            loss, logits = train_step(self.model, self.criterion, self.optimizer, xb, yb)
            if not math.isfinite(loss):
                bar.close()
                raise TrainingDiverged(
                    f"the loss became {loss} at epoch {epoch}, step {step} (samples "
                    f"{seen} to {seen + len(yb) - 1} of the epoch); lower the learning rate "
                    f"or check the inputs for NaN/inf")
            per_sample = loss if getattr(self.criterion, "reduction", "mean") == "sum" \
                else loss * len(yb)
            total_loss += per_sample
            correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
            seen += len(yb)
            bar.update(len(yb))
            if step % 50 == 0:
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", refresh=False)
        bar.close()
        seconds = time.perf_counter() - start
        return EpochStats(epoch, total_loss / seen, correct / seen, seconds, seen / seconds)

    def _early_stopping(self, stats: EpochStats) -> bool:
        if self.patience is None:
            return False
        value = getattr(stats, self.monitor)
        score = -value if self.monitor == "val_loss" else value
        if self._best is None or score > self._best[0]:
            self._best = (score, self.model.state_dict())
            self._wait = 0
            return False
        self._wait += 1
        return self._wait >= self.patience

    # checkpoints ---------------------------------------------------------------------------
    def save(self, path: str | Path, epoch: int | None = None) -> Path:
        """Write model, optimizer, epoch, shuffling RNG and history to one file, atomically."""
        epoch = self.history[-1].epoch if epoch is None and self.history else (epoch or 0)
        extra = {**self.checkpoint_extra, "wait": self._wait,
                 "best_score": None if self._best is None else self._best[0]}
        best = None if self._best is None else self._best[1]
        return save_checkpoint(path, self.model, self.optimizer, epoch=epoch, rng=self.rng,
                               history=[asdict(h) for h in self.history], extra=extra,
                               extra_arrays=None if best is None else
                               {f"best/{k}": v for k, v in best.items()})

    def _resume(self) -> int:
        if self.checkpoint is None or not self.checkpoint.exists():
            raise FileNotFoundError(f"Trainer.fit(resume=True): no checkpoint at "
                                    f"{self.checkpoint}")
        ckpt = load_checkpoint(self.checkpoint)
        ckpt.restore_model(self.model)
        ckpt.restore_optimizer(self.optimizer)
        self.rng = ckpt.restore_rng() or self.rng
        self.history = [EpochStats(**h) for h in ckpt.history]
        self._wait = ckpt.extra.get("wait", 0)
        best = {k[len("best/"):]: v for k, v in ckpt.arrays.items() if k.startswith("best/")}
        self._best = (ckpt.extra["best_score"], best) if best else None
        return ckpt.epoch
