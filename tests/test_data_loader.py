"""DataLoader: batches, epochs, shuffling from a seed, and its argument checks."""
import numpy as np
import pytest

import mytorch
from mytorch.data import DataLoader


def arrays(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return x, np.arange(n) * 2  # y == 2 * sample index, to check alignment


def test_batches_in_order_keep_the_last_partial_batch():
    x, y = arrays(10)
    loader = DataLoader(x, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), x)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y)


def test_drop_last_skips_the_partial_batch():
    x, y = arrays(10)
    loader = DataLoader(x, y, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(xb) for xb, _ in loader] == [4, 4]


def test_exact_multiple_has_no_empty_batch():
    loader = DataLoader(*arrays(8), batch_size=4, drop_last=False)
    assert len(loader) == 2 and [len(b[0]) for b in loader] == [4, 4]


def test_single_array_yields_one_tuples():
    x, _ = arrays(5)
    (batch,), = list(DataLoader(x, batch_size=5))
    np.testing.assert_array_equal(batch, x)


def epoch_order(loader):
    return np.concatenate([yb // 2 for _, yb in loader])


def test_shuffle_visits_every_sample_once_with_inputs_and_targets_aligned():
    x, y = arrays(50)
    loader = DataLoader(x, y, batch_size=8, shuffle=True, seed=0)
    order = epoch_order(loader)
    assert sorted(order) == list(range(50))
    assert not np.array_equal(order, np.arange(50))
    for xb, yb in loader:
        np.testing.assert_array_equal(xb, x[yb // 2])


def test_each_epoch_reshuffles_and_a_seed_repeats_the_sequence():
    x, y = arrays(50)
    first = DataLoader(x, y, batch_size=8, shuffle=True, seed=123)
    second = DataLoader(x, y, batch_size=8, shuffle=True, seed=123)
    epochs = [epoch_order(first) for _ in range(3)]
    assert not np.array_equal(epochs[0], epochs[1])
    for epoch in epochs:
        np.testing.assert_array_equal(epoch_order(second), epoch)
    other = DataLoader(x, y, batch_size=8, shuffle=True, seed=124)
    assert not np.array_equal(epoch_order(other), epochs[0])


def test_accepts_a_generator_and_without_seed_follows_manual_seed():
    x, y = arrays(30)
    from_generator = epoch_order(DataLoader(x, y, batch_size=4, shuffle=True,
                                            seed=np.random.default_rng(7)))
    np.testing.assert_array_equal(
        from_generator, epoch_order(DataLoader(x, y, batch_size=4, shuffle=True, seed=7)))
    loader = DataLoader(x, y, batch_size=4, shuffle=True)
    mytorch.manual_seed(5)
    a = epoch_order(loader)
    mytorch.manual_seed(5)
    np.testing.assert_array_equal(epoch_order(loader), a)


@pytest.mark.parametrize("batch_size", [0, -3])
def test_batch_size_below_one_is_rejected(batch_size):
    with pytest.raises(ValueError, match=f"batch_size >= 1, got {batch_size}"):
        DataLoader(*arrays(), batch_size=batch_size)


@pytest.mark.parametrize("batch_size", [2.0, "4", True, None])
def test_non_integer_batch_size_is_rejected(batch_size):
    with pytest.raises(TypeError, match="integer batch_size"):
        DataLoader(*arrays(), batch_size=batch_size)


def test_numpy_integer_batch_size_is_accepted():
    assert len(DataLoader(*arrays(10), batch_size=np.int64(5))) == 2


def test_lengths_must_match():
    x, y = arrays(10)
    with pytest.raises(ValueError, match=r"same length.*\(10, 3\), \(9,\)"):
        DataLoader(x, y[:9], batch_size=2)


def test_empty_and_scalar_and_missing_arrays_are_rejected():
    with pytest.raises(ValueError, match="non-empty"):
        DataLoader(np.zeros((0, 3)), np.zeros(0), batch_size=2)
    with pytest.raises(ValueError, match=r"got shapes \(\)"):
        DataLoader(np.float32(1.0), batch_size=1)
    with pytest.raises(ValueError, match="at least one array"):
        DataLoader(batch_size=1)
