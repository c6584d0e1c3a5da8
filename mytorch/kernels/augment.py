"""Rotation about the image centre plus translation, bilinear, zero fill outside."""
from __future__ import annotations

import math

from numba import prange

from ._jit import kernel


@kernel
def _tap(image, row, col, weight):
    """weight * image[row, col], or 0 outside the image. A zero weight adds nothing even
    next to inf or NaN, so an integer shift reproduces the input exactly."""
    height, width = image.shape
    if weight == 0.0 or row < 0 or row >= height or col < 0 or col >= width:
        return 0.0
    return weight * image[row, col]


@kernel(parallel=True)
def rotate_translate(images, angle, shift_x, shift_y, out):
    """out[n] = images[n] rotated by angle[n] radians about its centre ((H-1)/2, (W-1)/2),
    then moved shift_x[n] pixels right and shift_y[n] pixels down.

    A positive angle turns the picture counter-clockwise as displayed (row 0 at the top),
    the direction of np.rot90. Each output pixel samples the input at the inverse-mapped
    point with bilinear interpolation; points outside the input read as 0. images may be
    uint8 or float; out is float32 or float64 of the same shape (computed in float64).
    """
    n_images, height, width = images.shape
    centre_y = (height - 1) / 2.0
    centre_x = (width - 1) / 2.0
    for n in prange(n_images):
        cos_a = math.cos(angle[n])
        sin_a = math.sin(angle[n])
        image = images[n]
        for i in range(height):
            v = i - centre_y - shift_y[n]  # offset from the centre, rows (down)
            for j in range(width):
                u = j - centre_x - shift_x[n]  # offset from the centre, columns (right)
                # Undo the rotation: with y pointing up (y = -v) it is the rotation by -angle.
                src_y = centre_y + u * sin_a + v * cos_a
                src_x = centre_x + u * cos_a - v * sin_a
                row = math.floor(src_y)  # an integer, as in Python
                col = math.floor(src_x)
                fy = src_y - row
                fx = src_x - col
                out[n, i, j] = (_tap(image, row, col, (1.0 - fy) * (1.0 - fx))
                                + _tap(image, row, col + 1, (1.0 - fy) * fx)
                                + _tap(image, row + 1, col, fy * (1.0 - fx))
                                + _tap(image, row + 1, col + 1, fy * fx))
