"""MNIST and Fashion-MNIST as NumPy arrays: found on disk (or downloaded), then checked."""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .download import FILES, MIRRORS, download_dataset
from .idx import DatasetError, read_idx

# Where Debian's packages put data sets (`apt-get install dataset-fashion-mnist`).
SYSTEM_DIR = Path("/usr/share/datasets")
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


class Dataset(NamedTuple):
    """The four arrays of an MNIST-like data set; unpacks as four items.

    ``*_images`` are uint8 of shape (N, 28, 28), ``*_labels`` int64 of shape (N,) in 0..9.

    Example:
        >>> x_train, y_train, x_test, y_test = load_dataset("fashion-mnist")
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def cache_dir(name: str) -> Path:
    """The per-user directory that downloads go to: ``$XDG_CACHE_HOME/mytorch/<name>``,
    or ``~/.cache/mytorch/<name>`` when XDG_CACHE_HOME is unset.

    Args:
        name: the data set's name.

    Returns:
        The directory (which may not exist yet).
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mytorch" / name


def search_dirs(name: str, root: str | os.PathLike | None = None) -> list[Path]:
    """The directories ``load_dataset`` looks in, in order, without duplicates.

    ``root`` and ``$MYTORCH_DATA`` count both as the directory itself and as
    ``<dir>/<name>``; then come the cache directory and ``/usr/share/datasets/<name>``.

    Args:
        name: the data set's name.
        root: a directory given by the caller, or None.

    Returns:
        Paths, most preferred first.
    """
    dirs = []
    for base in (root, os.environ.get("MYTORCH_DATA") or None):
        if base is not None:
            dirs += [Path(base), Path(base) / name]
    dirs += [cache_dir(name), SYSTEM_DIR / name]
    return list(dict.fromkeys(dirs))


def load_dataset(name: str, root: str | os.PathLike | None = None, download: bool = False,
                 progress: bool = True) -> Dataset:
    """Load MNIST or Fashion-MNIST from the first directory that holds all four files.

    The files are the standard ``train-images-idx3-ubyte.gz`` etc., gzipped or not. See
    ``search_dirs`` for where they are looked for.

    Args:
        name: 'mnist' or 'fashion-mnist'.
        root: a directory to look in first.
        download: when no directory has the files, download them into ``cache_dir(name)``.
        progress: show a progress bar while downloading.

    Returns:
        A ``Dataset`` of uint8 images (N, 28, 28) and int64 labels (N,).

    Raises:
        ValueError: unknown name.
        FileNotFoundError: no directory has the files and download is False; the message
            lists every directory tried and how to get the data.
        DatasetError: a file is corrupt, or images and labels do not fit together.
        DownloadError: download=True and no mirror delivered a file intact.
    """
    if name not in MIRRORS:
        raise ValueError(f"load_dataset: expected a name in {sorted(MIRRORS)}, got {name!r}")
    tried = []
    for directory in search_dirs(name, root):
        paths, missing = _locate(directory)
        if not missing:
            return _load(paths)
        tried.append(f"{directory}: {missing}")
    if download:
        paths, missing = _locate(download_dataset(name, cache_dir(name), progress=progress))
        return _load(paths)
    places = "\n  ".join(tried)
    debian = f" or `apt-get install dataset-{name}` (Debian)" if name == "fashion-mnist" else ""
    raise FileNotFoundError(
        f"{name} not found; looked in:\n  {places}\n"
        f"Get it with load_dataset({name!r}, download=True){debian}, or put the four files "
        f"({', '.join(FILES.values())}) in a directory and point $MYTORCH_DATA or root= at it.")


def _locate(directory: Path) -> tuple[dict[str, Path], str]:
    """Each file's path in directory (the .gz name preferred), and what is missing, if any."""
    if not directory.is_dir():
        return {}, "no such directory"
    paths, missing = {}, []
    for field, filename in FILES.items():
        candidates = [directory / filename, directory / filename.removesuffix(".gz")]
        found = [path for path in candidates if path.is_file()]
        if found:
            paths[field] = found[0]
        else:
            missing.append(filename)
    return paths, f"missing {', '.join(missing)} (or without .gz)" if missing else ""


def _load(paths: dict[str, Path]) -> Dataset:
    """Read the four files and check that each split's images and labels fit together."""
    arrays = {}
    for split in ("train", "test"):
        images_path, labels_path = paths[f"{split}_images"], paths[f"{split}_labels"]
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE \
                or len(images) == 0:
            raise DatasetError(f"{images_path}: expected uint8 images of shape (N >= 1, 28, 28), "
                               f"got {images.dtype} of shape {images.shape}")
        if not np.issubdtype(labels.dtype, np.integer) or labels.ndim != 1:
            raise DatasetError(f"{labels_path}: expected integer labels of shape (N,), "
                               f"got {labels.dtype} of shape {labels.shape}")
        if len(labels) != len(images):
            raise DatasetError(f"{labels_path} has {len(labels)} labels but {images_path} has "
                               f"{len(images)} images; expected the same count")
        if labels.min() < 0 or labels.max() >= NUM_CLASSES:
            raise DatasetError(f"{labels_path}: expected labels in 0..{NUM_CLASSES - 1}, "
                               f"got {labels.min()}..{labels.max()}")
        arrays[f"{split}_images"] = images
        arrays[f"{split}_labels"] = labels.astype(np.int64)
    return Dataset(**arrays)
