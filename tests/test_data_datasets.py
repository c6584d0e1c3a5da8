"""load_dataset: where it looks, in which order, and what it rejects."""
import os

import numpy as np
import pytest

from mytorch.data import Dataset, DatasetError, load_dataset, write_idx
from mytorch.data import datasets

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def make_dataset(seed=0, n_train=12, n_test=5):
    """A small random data set of the real shapes and dtypes."""
    rng = np.random.default_rng(seed)
    return Dataset(rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
                   rng.integers(0, 10, n_train, dtype=np.uint8),
                   rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
                   rng.integers(0, 10, n_test, dtype=np.uint8))


def write_dataset(directory, data, gz=True):
    directory.mkdir(parents=True, exist_ok=True)
    for filename, array in zip(FILES, data):
        write_idx(directory / (filename if gz else filename.removesuffix(".gz")), array)
    return directory


def assert_same(loaded, data):
    for got, want in zip(loaded, data):
        np.testing.assert_array_equal(got, want)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No $MYTORCH_DATA, a cache and a system directory inside tmp_path."""
    monkeypatch.delenv("MYTORCH_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "SYSTEM_DIR", tmp_path / "system")


def test_loads_from_root_with_documented_dtypes(tmp_path):
    data = make_dataset()
    loaded = load_dataset("mnist", root=write_dataset(tmp_path / "d", data))
    assert isinstance(loaded, Dataset)
    train_images, train_labels, test_images, test_labels = loaded  # unpacks as four
    assert train_images.shape == (12, 28, 28) and test_images.shape == (5, 28, 28)
    assert train_images.dtype == np.uint8 and test_images.dtype == np.uint8
    assert train_labels.dtype == np.int64 and test_labels.dtype == np.int64
    assert_same(loaded, data)
    np.testing.assert_array_equal(loaded.test_labels, data.test_labels)


def test_accepts_root_slash_name_and_uncompressed_files(tmp_path):
    data = make_dataset()
    write_dataset(tmp_path / "d" / "fashion-mnist", data, gz=False)
    assert_same(load_dataset("fashion-mnist", root=tmp_path / "d"), data)


@pytest.mark.parametrize("nested", [False, True])
def test_finds_mytorch_data_directory_or_its_name_subdirectory(tmp_path, monkeypatch, nested):
    data = make_dataset()
    write_dataset(tmp_path / "env" / "mnist" if nested else tmp_path / "env", data)
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    assert_same(load_dataset("mnist"), data)


def test_search_order_root_then_env_then_cache_then_system(tmp_path, monkeypatch):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    places = [tmp_path / "root", tmp_path / "env", tmp_path / "cache" / "mytorch" / "mnist",
              tmp_path / "system" / "mnist"]
    for seed, place in enumerate(places):
        write_dataset(place, make_dataset(seed))
    # Remove the preferred copies one at a time: each time the next place must win.
    for seed, place in enumerate(places):
        assert_same(load_dataset("mnist", root=tmp_path / "root"), make_dataset(seed))
        for filename in FILES:
            os.remove(place / filename)


def test_search_dirs_lists_each_place_once_in_order(tmp_path, monkeypatch):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "r"))
    assert datasets.search_dirs("mnist", tmp_path / "r") == [
        tmp_path / "r", tmp_path / "r" / "mnist", tmp_path / "cache" / "mytorch" / "mnist",
        tmp_path / "system" / "mnist"]


def test_cache_dir_defaults_to_home_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.cache_dir("mnist") == tmp_path / "home" / ".cache" / "mytorch" / "mnist"


def test_not_found_lists_every_place_and_how_to_get_the_data(tmp_path, monkeypatch):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "env"))
    partial = write_dataset(tmp_path / "root", make_dataset())
    os.remove(partial / FILES[3])
    with pytest.raises(FileNotFoundError) as info:
        load_dataset("fashion-mnist", root=tmp_path / "root")
    message = str(info.value)
    for place in datasets.search_dirs("fashion-mnist", tmp_path / "root"):
        assert str(place) in message
    assert "missing t10k-labels-idx1-ubyte.gz" in message  # says why the partial one failed
    assert "download=True" in message and "MYTORCH_DATA" in message
    assert "apt-get install dataset-fashion-mnist" in message


def test_unknown_name_is_rejected():
    with pytest.raises(ValueError, match="'cifar10'"):
        load_dataset("cifar10")


def test_corrupt_file_is_an_error_not_skipped(tmp_path):
    directory = write_dataset(tmp_path / "root", make_dataset())
    (directory / FILES[0]).write_bytes(b"\x1f\x8b garbage")
    write_dataset(tmp_path / "cache" / "mytorch" / "mnist", make_dataset(1))
    with pytest.raises(DatasetError, match=FILES[0]):
        load_dataset("mnist", root=directory)


INCONSISTENT = [
    ("count", dict(train_labels=np.zeros(11, np.uint8)), ["11 labels", "12 images"]),
    ("label range", dict(test_labels=np.full(5, 10, np.uint8)), ["0..9", "got 10..10"]),
    ("image size", dict(train_images=np.zeros((12, 27, 28), np.uint8)), ["(12, 27, 28)"]),
    ("image dtype", dict(test_images=np.zeros((5, 28, 28), np.float32)), ["float32"]),
    ("label shape", dict(train_labels=np.zeros((12, 1), np.uint8)), ["(12, 1)"]),
    ("no images", dict(test_images=np.zeros((0, 28, 28), np.uint8),
                       test_labels=np.zeros(0, np.uint8)), ["N >= 1"]),
]


@pytest.mark.parametrize("name, fields, words", INCONSISTENT, ids=[c[0] for c in INCONSISTENT])
def test_inconsistent_files_raise_dataset_error(tmp_path, name, fields, words):
    write_dataset(tmp_path / "root", make_dataset()._replace(**fields))
    with pytest.raises(DatasetError) as info:
        load_dataset("mnist", root=tmp_path / "root")
    for word in words:
        assert word in str(info.value)
