"""Peak memory of one MyCNN training epoch (60,000 samples, batch 32).

    python benchmarks/memory.py            # on Fashion-MNIST if installed, else random images

Prints the process's peak resident set size, and the peak of NumPy allocations during the
epoch (tracemalloc), apart from the data set itself.
"""
from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np

from mytorch.presets import MyCNN
from mytorch.training import train_step


def main() -> None:
    try:
        from mytorch.data import load_dataset
        images, labels = load_dataset("fashion-mnist", progress=False)[:2]
        source = "Fashion-MNIST"
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        images, labels = rng.integers(0, 255, (60000, 28, 28), dtype=np.uint8), rng.integers(0, 10, 60000)
        source = "random images"
    preset = MyCNN(progress=False)
    model = preset.initialize()
    criterion = preset.criterion()
    x = preset.preprocess(images)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    start = time.perf_counter()
    for i in range(0, len(x), preset.batch_size):
        train_step(model, criterion, preset.optimizer, x[i:i + preset.batch_size],
                   labels[i:i + preset.batch_size])
    seconds = time.perf_counter() - start
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"MyCNN, one epoch on {source} ({len(x):,} samples, batch {preset.batch_size}): "
          f"{seconds:.1f} s")
    print(f"peak NumPy memory during the epoch: {(peak - base) / 2**20:.1f} MiB above the "
          f"start; left over at the end: {(current - base) / 2**20:.2f} MiB")
    print(f"peak resident set size of the process: {rss:.0f} MiB (data set included)")


if __name__ == "__main__":
    main()
