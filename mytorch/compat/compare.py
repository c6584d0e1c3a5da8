"""Train a preset and its PyTorch twin on the same batches from the same weights, and
report whether they agree (the comparison rule of the original work: test accuracies
within 0.5 percentage points), how closely their losses track step by step, and how
long each takes."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from ..data.loader import DataLoader
from ..threads import get_num_threads
from ..training import train_step
from ..warmup import warmup
from . import torch as twins


@dataclass
class ComparisonResult:
    """Both accuracies (fractions), their difference in percentage points (ours − torch),
    the verdict, the loss agreement and the time per epoch of each."""
    preset: str
    accuracy: float
    torch_accuracy: float
    difference: float
    equivalent: bool
    tolerance: float
    max_loss_rel_diff: float
    max_loss_rel_diff_first_steps: float
    first_steps: int
    seconds_per_epoch: float
    torch_seconds_per_epoch: float
    losses: np.ndarray = field(repr=False)
    torch_losses: np.ndarray = field(repr=False)

    def __bool__(self) -> bool:
        return self.equivalent

    def table(self) -> str:
        """A Markdown table of the comparison."""
        verdict = "equivalent" if self.equivalent else "NOT equivalent"
        return "\n".join([
            "| | MyTorch | PyTorch |",
            "| --- | --- | --- |",
            f"| test accuracy | {100 * self.accuracy:.2f} % | {100 * self.torch_accuracy:.2f} % |",
            f"| seconds per epoch | {self.seconds_per_epoch:.2f} | {self.torch_seconds_per_epoch:.2f} |",
            "",
            f"{self.preset}: difference {self.difference:+.2f} points → {verdict} "
            f"(tolerance {self.tolerance} points); worst relative loss difference "
            f"{self.max_loss_rel_diff_first_steps:.1e} over the first {self.first_steps} steps, "
            f"{self.max_loss_rel_diff:.1e} over all steps.",
        ])


def _torch_accuracy(twin, inputs: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> float:
    twin.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(inputs), batch_size):
            logits = twin(torch.from_numpy(inputs[i:i + batch_size]))
            correct += int((logits.argmax(1).numpy() == labels[i:i + batch_size]).sum())
    return correct / len(labels)


def compare(preset, train_images, train_labels, test_images, test_labels, *,
            tolerance: float = 0.5, first_steps: int = 20, progress: bool = True
            ) -> ComparisonResult:
    """Train ``preset`` (a MyCNN or MyMLP, from its seed) and its PyTorch twin on identical
    batches from identical initial weights, then score both on the test set.

    Example:
        >>> result = compare(MyCNN(epochs=2), *load_dataset("fashion-mnist"))
        >>> print(result.table())
    """
    images = preset.check_images(train_images)
    labels = preset.check_labels(train_labels, len(images))
    test_images = preset.check_images(test_images)
    test_labels = preset.check_labels(test_labels, len(test_images))
    model = preset.initialize()
    _, shuffle_seed, augment_seed = preset._seeds()
    images, labels = preset.training_data(images, labels, np.random.default_rng(augment_seed))
    inputs = preset.preprocess(images)

    warmup((inputs.dtype,))  # compile before the clock starts
    torch.set_num_threads(get_num_threads())
    twin = twins.to_torch(model, inputs.shape[1:])
    twin_optimizer = twins.optimizer_twin(preset.optimizer, twin)
    criterion, twin_criterion = preset.criterion(), twins.loss_twin(preset.criterion())
    loader = DataLoader(inputs, labels, batch_size=preset.batch_size, shuffle=preset.shuffle,
                        seed=np.random.default_rng(shuffle_seed))

    losses, torch_losses = [], []
    ours_seconds = torch_seconds = 0.0
    bar = tqdm(total=preset.epochs * len(loader), desc=f"compare {type(preset).__name__}",
               unit="step", disable=not progress, mininterval=0.5)
    for _ in range(preset.epochs):
        twin.train()
        for xb, yb in loader:
            start = time.perf_counter()
            loss, _ = train_step(model, criterion, preset.optimizer, xb, yb)
            ours_seconds += time.perf_counter() - start
            start = time.perf_counter()
            twin_optimizer.zero_grad()
            twin_loss = twin_criterion(twin(torch.from_numpy(xb)), torch.from_numpy(yb))
            twin_loss.backward()
            twin_optimizer.step()
            torch_seconds += time.perf_counter() - start
            losses.append(loss)
            torch_losses.append(twin_loss.item())
            bar.update()
    bar.close()

    ours, theirs = np.array(losses), np.array(torch_losses)
    rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)
    accuracy = preset.score(test_images, test_labels)
    torch_accuracy = _torch_accuracy(twin, preset.preprocess(test_images), test_labels)
    difference = 100 * (accuracy - torch_accuracy)
    return ComparisonResult(
        preset=type(preset).__name__, accuracy=accuracy, torch_accuracy=torch_accuracy,
        difference=difference, equivalent=abs(difference) <= tolerance, tolerance=tolerance,
        max_loss_rel_diff=float(rel.max()),
        max_loss_rel_diff_first_steps=float(rel[:first_steps].max()), first_steps=first_steps,
        seconds_per_epoch=ours_seconds / preset.epochs,
        torch_seconds_per_epoch=torch_seconds / preset.epochs, losses=ours, torch_losses=theirs)
