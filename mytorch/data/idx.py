"""The IDX file format of MNIST and Fashion-MNIST: read and write, plain or gzip.

An IDX file is a 4-byte magic number (0, 0, type code, ndim), ndim big-endian uint32
dimensions, then the elements in C order, big-endian.
"""
from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from ..atomic import atomic_write

# Type code -> element dtype (big-endian, as stored in the file).
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


class DatasetError(ValueError):
    """A data file is truncated, corrupt, of the wrong kind, or inconsistent with another."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, plain or gzip-compressed (recognised by its magic bytes, not its name).

    Args:
        path: the file.

    Returns:
        A writable array with the file's shape, in native byte order (uint8, int8, int16,
        int32, float32 or float64).

    Raises:
        FileNotFoundError: the file does not exist.
        DatasetError: bad gzip data (truncated, CRC mismatch), a wrong magic number, an
            unknown type code, or a payload whose size does not match the dimensions.
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
            raise DatasetError(f"{path}: corrupt or truncated gzip data ({err})") from err

    if len(data) < 4:
        raise DatasetError(f"{path}: expected an IDX header of at least 4 bytes, "
                           f"got a file of {len(data)} bytes")
    zero0, zero1, type_code, ndim = data[:4]
    if zero0 != 0 or zero1 != 0 or ndim == 0:
        raise DatasetError(f"{path}: not an IDX file: expected a magic number 00 00 <type> "
                           f"<ndim >= 1>, got {data[:4].hex(' ')}")
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise DatasetError(f"{path}: expected an IDX type code in {known}, got 0x{type_code:02X}")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DatasetError(f"{path}: truncated header: expected {header_size} bytes for "
                           f"{ndim} dimensions, got {len(data)}")

    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow on absurd dims
    got = len(data) - header_size
    if got != expected:
        raise DatasetError(f"{path}: expected {expected} bytes of {dtype.name} data for shape "
                           f"{shape}, got {got}" + (" (truncated)" if got < expected else ""))
    # astype copies, which both makes the array writable and swaps to native byte order.
    array = np.frombuffer(data, dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an array as an IDX file, gzip-compressed when the name ends in '.gz'.

    The file appears atomically: it is written to a temporary file in the same directory
    and renamed over ``path``, so a reader never sees half a file.

    Args:
        path: the destination.
        array: 1 to 255 dimensions, dtype uint8, int8, int16, int32, float32 or float64.

    Raises:
        TypeError: the dtype has no IDX type code.
        ValueError: the array has no dimensions or more than 255.
    """
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        names = ", ".join(dtype.name for dtype in codes)
        raise TypeError(f"write_idx: expected dtype {names}, got {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx: expected 1 to 255 dimensions, got shape {array.shape}")

    header = bytes([0, 0, codes[native], array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = np.ascontiguousarray(array, IDX_DTYPES[codes[native]]).tobytes()
    with atomic_write(path) as file:
        if str(path).endswith(".gz"):
            # mtime=0 and no stored name make the bytes depend on the array alone.
            with gzip.GzipFile(filename="", mode="wb", fileobj=file, mtime=0) as gz:
                gz.write(header)
                gz.write(payload)
        else:
            file.write(header)
            file.write(payload)
