"""read_idx / write_idx: round trips, the byte layout, and every way a file can be bad."""
import gzip
import os

import numpy as np
import pytest

from mytorch.data import DatasetError, read_idx, write_idx
from mytorch.atomic import atomic_write

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("suffix", [".idx", ".gz"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_keeps_values_shape_and_dtype(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / f"a{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype).newbyteorder("=")
    assert back.dtype.isnative
    assert back.flags.writeable
    np.testing.assert_array_equal(back, array)


def test_file_layout_is_big_endian_idx(tmp_path):
    path = tmp_path / "a.idx"
    write_idx(path, np.array([1, -2], np.int16))
    # magic 00 00 0B (int16) 01 (ndim), dimension 2 as big-endian uint32, then the data.
    assert path.read_bytes() == bytes.fromhex("00000b01 00000002 0001 fffe")


def test_gzip_is_recognised_by_magic_bytes_not_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", array)
    os.replace(tmp_path / "a.gz", tmp_path / "compressed.idx")
    write_idx(tmp_path / "b.idx", array)
    os.replace(tmp_path / "b.idx", tmp_path / "plain.gz")
    assert (tmp_path / "compressed.idx").read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(tmp_path / "compressed.idx"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "plain.gz"), array)


def test_gzip_output_depends_only_on_the_array(tmp_path):
    write_idx(tmp_path / "a.gz", np.arange(6, dtype=np.uint8))
    write_idx(tmp_path / "b.gz", np.arange(6, dtype=np.uint8))
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def _raw(path, data):
    path.write_bytes(data)
    return path


# (name, file bytes, words the message must contain)
BAD_FILES = [
    ("empty", b"", ["at least 4 bytes", "got a file of 0 bytes"]),
    ("bad magic", bytes.fromhex("08030801 00000001 00"), ["magic", "08 03 08 01"]),
    ("zero ndim", bytes.fromhex("00000800"), ["magic", "00 00 08 00"]),
    ("unknown type", bytes.fromhex("00000a01 00000001 00"), ["type code", "got 0x0A"]),
    ("short header", bytes.fromhex("00000803 00000001"), ["header", "expected 16 bytes", "got 8"]),
    ("short payload", bytes.fromhex("00000c01 00000002 00000001 0000"),
     ["expected 8 bytes", "int32", "got 6", "truncated"]),
    ("long payload", bytes.fromhex("00000801 00000002 010203"), ["expected 2 bytes", "got 3"]),
]


@pytest.mark.parametrize("name, data, words", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_raises_dataset_error_naming_file_and_problem(tmp_path, name, data, words):
    path = _raw(tmp_path / "bad.idx", data)
    with pytest.raises(DatasetError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_dataset_error_is_a_value_error():
    assert issubclass(DatasetError, ValueError)


def test_truncated_gzip_raises_dataset_error(tmp_path):
    write_idx(tmp_path / "a.gz", np.arange(1000, dtype=np.int32))
    data = (tmp_path / "a.gz").read_bytes()
    path = _raw(tmp_path / "cut.gz", data[: len(data) // 2])
    with pytest.raises(DatasetError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_gzip_with_bad_crc_raises_dataset_error(tmp_path):
    data = bytearray(gzip.compress(bytes.fromhex("00000801 00000002 0102")))
    data[-8] ^= 0xFF  # the CRC32 of the trailer
    path = _raw(tmp_path / "crc.gz", bytes(data))
    with pytest.raises(DatasetError, match="(?i)crc"):
        read_idx(path)


def test_gzip_of_garbage_raises_dataset_error_not_a_shape_error(tmp_path):
    path = _raw(tmp_path / "junk.gz", gzip.compress(b"hello world, not idx"))
    with pytest.raises(DatasetError, match="magic"):
        read_idx(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.idx")


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.complex64, np.uint16])
def test_write_rejects_dtypes_without_a_type_code(tmp_path, dtype):
    with pytest.raises(TypeError, match=f"got {np.dtype(dtype)}"):
        write_idx(tmp_path / "a.idx", np.zeros(3, dtype))
    assert list(tmp_path.iterdir()) == []


def test_write_rejects_a_scalar(tmp_path):
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        write_idx(tmp_path / "a.idx", np.uint8(3))


def test_write_replaces_existing_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.gz"
    write_idx(path, np.zeros(4, np.uint8))
    write_idx(path, np.ones(2, np.uint8))
    np.testing.assert_array_equal(read_idx(path), [1, 1])
    assert [p.name for p in tmp_path.iterdir()] == ["a.gz"]


def test_atomic_write_failure_keeps_old_file_and_removes_temporary(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as file:
            file.write(b"half of the new")
            raise RuntimeError("interrupted")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]
