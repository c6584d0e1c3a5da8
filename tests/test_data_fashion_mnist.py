"""The real Fashion-MNIST from Debian's dataset-fashion-mnist package."""
from pathlib import Path

import numpy as np
import pytest

from mytorch.data import load_dataset
from mytorch.data import datasets

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

pytestmark = pytest.mark.skipif(
    not DEBIAN_DIR.is_dir(),
    reason=f"{DEBIAN_DIR} missing: `apt-get install dataset-fashion-mnist` provides it")


@pytest.fixture(scope="module")
def fashion():
    return load_dataset("fashion-mnist", root=DEBIAN_DIR)


def test_shapes_and_dtypes(fashion):
    assert fashion.train_images.shape == (60000, 28, 28)
    assert fashion.test_images.shape == (10000, 28, 28)
    assert fashion.train_labels.shape == (60000,) and fashion.test_labels.shape == (10000,)
    assert fashion.train_images.dtype == np.uint8 and fashion.test_images.dtype == np.uint8
    assert fashion.train_labels.dtype == np.int64 and fashion.test_labels.dtype == np.int64


def test_classes_are_balanced_over_0_to_9(fashion):
    assert np.bincount(fashion.train_labels, minlength=10).tolist() == [6000] * 10
    assert np.bincount(fashion.test_labels, minlength=10).tolist() == [1000] * 10


def test_pixels_span_the_full_range(fashion):
    assert fashion.train_images.min() == 0 and fashion.train_images.max() == 255
    # Garments are centred: the middle of the mean image is brighter than its corners.
    mean = fashion.train_images.mean(axis=0)
    assert mean[10:18, 10:18].mean() > 4 * mean[:3, :3].mean()


def test_default_search_finds_the_debian_copy(tmp_path, monkeypatch, fashion):
    monkeypatch.delenv("MYTORCH_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert datasets.search_dirs("fashion-mnist")[-1] == DEBIAN_DIR
    found = load_dataset("fashion-mnist")
    np.testing.assert_array_equal(found.test_labels, fashion.test_labels)
