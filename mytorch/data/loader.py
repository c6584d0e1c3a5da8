"""Mini-batches over arrays that share their first dimension, like torch's DataLoader."""
from __future__ import annotations

import math
import numbers
from typing import Iterator

import numpy as np

from ..random import resolve


class DataLoader:
    """Iterate over aligned arrays in mini-batches, optionally reshuffled every epoch.

    Each iteration (epoch) yields tuples ``(arrays[0][batch], arrays[1][batch], ...)``;
    the last batch is smaller when the length is not a multiple of ``batch_size``, unless
    ``drop_last``. With ``shuffle`` every epoch draws a new permutation from one
    generator, so the same seed gives the same sequence of epochs.

    Args:
        *arrays: one or more arrays with the same length along axis 0 (e.g. images, labels).
        batch_size: samples per batch, an integer >= 1.
        shuffle: visit samples in a new random order every epoch.
        seed: an int seed, a ``numpy.random.Generator``, or None for MyTorch's default
            generator (set by ``mytorch.manual_seed``). Used only when shuffling.
        drop_last: skip the final partial batch.

    Raises:
        TypeError: batch_size is not an integer.
        ValueError: no arrays, batch_size < 1, an empty array, or lengths that differ.

    Example:
        >>> for images, labels in DataLoader(x_train, y_train, batch_size=32, shuffle=True, seed=0):
        ...     ...
    """

    def __init__(self, *arrays: np.ndarray, batch_size: int = 1, shuffle: bool = False,
                 seed: int | np.random.Generator | None = None, drop_last: bool = False) -> None:
        if not arrays:
            raise ValueError("DataLoader: expected at least one array, got none")
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"DataLoader: expected an integer batch_size, "
                            f"got {type(batch_size).__name__} {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: expected batch_size >= 1, got {batch_size}")
        arrays = tuple(np.asarray(a) for a in arrays)
        lengths = [len(a) if a.ndim else None for a in arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"DataLoader: expected arrays of the same length along axis 0, "
                             f"got shapes {shapes}")
        if lengths[0] == 0:
            raise ValueError(f"DataLoader: expected non-empty arrays, got shape {arrays[0].shape}")
        self.arrays = arrays
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        # With no seed, look the default generator up at each epoch, so that a later
        # mytorch.manual_seed still governs this loader.
        self._generator = None if seed is None else resolve(seed)

    @property
    def num_samples(self) -> int:
        """Samples per epoch before batching (the length of each array)."""
        return len(self.arrays[0])

    def __len__(self) -> int:
        """Batches per epoch."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        # Indexing with a slice of a permutation copies a whole batch at once; without
        # shuffling a plain slice is a free view.
        generator = resolve(self._generator)
        order = generator.permutation(self.num_samples) if self.shuffle else None
        for b in range(len(self)):
            batch = slice(b * self.batch_size, (b + 1) * self.batch_size)
            index = batch if order is None else order[batch]
            yield tuple(a[index] for a in self.arrays)

    def __repr__(self) -> str:
        return (f"DataLoader(num_samples={self.num_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")
