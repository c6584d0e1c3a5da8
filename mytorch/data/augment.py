"""Random rotation and translation of images, the augmentation of the MyMLP preset."""
from __future__ import annotations

import numpy as np

from ..kernels._jit import sized
from ..kernels.augment import rotate_translate
from ..random import resolve

IMAGE_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))


def affine_transform(images: np.ndarray, angle, shift_x, shift_y) -> np.ndarray:
    """Rotate each image about its centre, then translate it; bilinear, zero fill outside.

    A positive angle turns the picture counter-clockwise as displayed (row 0 at the top),
    so ``angle=pi/2`` matches ``np.rot90(image)``; positive shifts move it right and down.

    Args:
        images: (N, H, W), uint8, float32 or float64.
        angle: radians, a scalar or one per image.
        shift_x: pixels to the right, a scalar or one per image.
        shift_y: pixels down, a scalar or one per image.

    Returns:
        An array of the same shape and dtype; uint8 results are rounded and clipped.

    Raises:
        TypeError: images are not a numpy array of an accepted dtype.
        ValueError: images are not (N, H, W), or a parameter is not finite or does not
            broadcast to (N,).
    """
    _check_images(images, "affine_transform")
    params = []
    for what, value in (("angle", angle), ("shift_x", shift_x), ("shift_y", shift_y)):
        value = np.asarray(value, np.float64)
        if value.ndim > 1 or value.size not in (1, len(images)):
            raise ValueError(f"affine_transform: expected {what} to be a scalar or of shape "
                             f"({len(images)},), got shape {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"affine_transform: expected finite {what}, got {value}")
        # A fresh writable copy: read-only views would make Numba compile a second variant.
        params.append(np.broadcast_to(value, (len(images),)).copy())

    is_float = images.dtype != np.uint8
    out = np.empty(images.shape, images.dtype if is_float else np.float32)
    sized(rotate_translate, images.size)(np.ascontiguousarray(images), *params, out)
    if is_float:
        return out
    # Interpolated uint8 values stay in [0, 255] up to rounding error; clip guards that.
    np.rint(out, out=out)
    return np.clip(out, 0, 255, out=out).astype(np.uint8)


def random_affine(images: np.ndarray, max_shift: float = 0.05, max_rotation: float = 0.05,
                  rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Rotate and translate every image by its own random amounts.

    For each image, in this order of draws: the angle uniform in
    ±``max_rotation``·2π rad, the shift right uniform in ±``max_shift``·W pixels, the
    shift down uniform in ±``max_shift``·H pixels. See ``affine_transform`` for conventions.

    Args:
        images: (N, H, W), uint8, float32 or float64.
        max_shift: largest shift as a fraction of the width (height); 0.05 is ±5 %.
        max_rotation: largest rotation as a fraction of a full turn; 0.05 is ±18°.
        rng: a Generator, an int seed, or None for MyTorch's default generator.

    Returns:
        Augmented images of the same shape and dtype.

    Raises:
        TypeError: images are not a numpy array of an accepted dtype.
        ValueError: images are not (N, H, W), or a maximum is negative or not finite.

    Example:
        >>> random_affine(np.zeros((4, 28, 28), np.uint8), rng=0).shape
        (4, 28, 28)
    """
    for what, value in (("max_shift", max_shift), ("max_rotation", max_rotation)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"random_affine: expected {what} >= 0, got {value}")
    _check_images(images, "random_affine")
    rng = resolve(rng)
    n, height, width = images.shape
    angle = rng.uniform(-max_rotation, max_rotation, n) * (2 * np.pi)
    shift_x = rng.uniform(-max_shift, max_shift, n) * width
    shift_y = rng.uniform(-max_shift, max_shift, n) * height
    return affine_transform(images, angle, shift_x, shift_y)


def augment_dataset(images: np.ndarray, labels: np.ndarray, copies: int = 2,
                    max_shift: float = 0.05, max_rotation: float = 0.05,
                    rng: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``copies`` independently augmented copies of a data set, concatenated (the originals
    are not included): 60,000 images with copies=2 give 120,000.

    Args:
        images: (N, H, W), uint8, float32 or float64.
        labels: (N,), any dtype.
        copies: how many augmented copies, >= 1.
        max_shift, max_rotation, rng: as for ``random_affine``; the copies are drawn one
            after the other from the same generator.

    Returns:
        (images of shape (copies·N, H, W), labels of shape (copies·N,)), copy after copy.

    Raises:
        TypeError, ValueError: as ``random_affine``; also ValueError for copies < 1 or
            labels whose length differs from the images'.
    """
    if isinstance(copies, bool) or not isinstance(copies, (int, np.integer)) or copies < 1:
        raise ValueError(f"augment_dataset: expected an integer copies >= 1, got {copies!r}")
    _check_images(images, "augment_dataset")
    labels = np.asarray(labels)
    if labels.shape[:1] != images.shape[:1]:
        raise ValueError(f"augment_dataset: expected one label per image, got labels of shape "
                         f"{labels.shape} for images of shape {images.shape}")
    rng = resolve(rng)
    augmented = [random_affine(images, max_shift, max_rotation, rng) for _ in range(copies)]
    return np.concatenate(augmented), np.concatenate([labels] * copies)


def _check_images(images: np.ndarray, caller: str) -> None:
    """Raise unless images is an (N, H, W) array of a dtype the kernel handles."""
    if not isinstance(images, np.ndarray) or images.dtype not in IMAGE_DTYPES:
        raise TypeError(f"{caller}: expected a uint8, float32 or float64 array, got "
                        f"{getattr(images, 'dtype', type(images).__name__)}")
    if images.ndim != 3:
        raise ValueError(f"{caller}: expected images of shape (N, H, W), got {images.shape}")
