"""affine_transform / random_affine / augment_dataset: exact cases against NumPy, the
rotation direction, reproducibility, dtypes and argument checks."""
import numpy as np
import pytest

from mytorch.data import affine_transform, augment_dataset, random_affine

DTYPES = [np.uint8, np.float32, np.float64]


def images(dtype, n=3, height=8, width=8, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.uint8:
        return rng.integers(0, 256, (n, height, width), dtype=np.uint8)
    return rng.standard_normal((n, height, width)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_rotation_no_shift_is_exactly_the_identity(dtype):
    x = images(dtype, height=7, width=9)
    out = affine_transform(x, 0.0, 0.0, 0.0)
    assert out.dtype == x.dtype and out is not x
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(random_affine(x, max_shift=0, max_rotation=0, rng=0), x)


def shifted(x, rows, cols):
    """np.roll with zero fill instead of wrap-around."""
    out = np.roll(x, (rows, cols), axis=(1, 2))
    if rows > 0:
        out[:, :rows] = 0
    elif rows < 0:
        out[:, rows:] = 0
    if cols > 0:
        out[:, :, :cols] = 0
    elif cols < 0:
        out[:, :, cols:] = 0
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dx, dy", [(1, 0), (0, 1), (-1, 0), (0, -1), (2, -1)])
def test_whole_pixel_shift_is_roll_with_zero_fill(dtype, dx, dy):
    x = images(dtype)
    np.testing.assert_array_equal(affine_transform(x, 0.0, dx, dy), shifted(x, dy, dx))


def test_half_pixel_shift_averages_neighbours():
    x = images(np.float64, n=1)
    expected = 0.5 * (x + shifted(x, 0, 1))  # column j takes half of j and half of j - 1
    np.testing.assert_allclose(affine_transform(x, 0.0, 0.5, 0.0), expected, atol=1e-12)


def test_shift_by_the_whole_width_leaves_only_zeros():
    assert not np.any(affine_transform(images(np.float32), 0.0, 8.0, 0.0))


@pytest.mark.parametrize("quarter_turns", [1, 2, -1])
def test_right_angle_rotation_matches_rot90(quarter_turns):
    x = images(np.float64, height=6, width=6)
    out = affine_transform(x, quarter_turns * np.pi / 2, 0.0, 0.0)
    # cos(pi/2) is 6e-17, not 0, so the float result is exact only to rounding.
    np.testing.assert_allclose(out, np.rot90(x, quarter_turns, axes=(1, 2)), atol=1e-12)
    x8 = images(np.uint8, height=7, width=7)
    np.testing.assert_array_equal(affine_transform(x8, quarter_turns * np.pi / 2, 0, 0),
                                  np.rot90(x8, quarter_turns, axes=(1, 2)))


def test_positive_angle_turns_counter_clockwise_as_displayed():
    x = np.zeros((1, 5, 5))
    x[0, 0, 2] = 1.0  # top centre
    out = affine_transform(x, np.pi / 2, 0.0, 0.0)
    assert out[0, 2, 0] == pytest.approx(1.0)  # now at the left centre
    assert out.sum() == pytest.approx(1.0)


def test_rotation_is_about_the_centre():
    x = images(np.float64, n=4, height=9, width=9)
    out = affine_transform(x, np.array([0.1, 0.7, -2.0, 3.0]), 0.0, 0.0)
    np.testing.assert_array_equal(out[:, 4, 4], x[:, 4, 4])


def test_per_image_parameters_apply_to_their_own_image():
    x = images(np.float64, n=2)
    out = affine_transform(x, [0.0, 0.0], [1.0, 0.0], [0.0, -1.0])
    np.testing.assert_array_equal(out[0], shifted(x[:1], 0, 1)[0])
    np.testing.assert_array_equal(out[1], shifted(x[1:], -1, 0)[0])


def test_uint8_results_are_rounded_and_stay_in_range():
    x = np.full((1, 6, 6), 255, np.uint8)
    out = affine_transform(x, 0.3, 0.4, 0.3)
    assert out.dtype == np.uint8
    assert out[0, 2:4, 2:4].tolist() == [[255, 255], [255, 255]]  # no wrap-around to 0
    # Bilinear blend of 255 and the zero fill at a 0.4 shift: 0.6 * 255 = 153 in column 0.
    assert affine_transform(x, 0.0, 0.4, 0.0)[0, 3, 0] == 153


@pytest.mark.parametrize("dtype", DTYPES)
def test_random_affine_keeps_shape_and_dtype_and_changes_images(dtype):
    x = images(dtype, n=5, height=28, width=28)
    out = random_affine(x, rng=1)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not np.array_equal(out, x)


def test_random_affine_is_reproducible_from_a_seed():
    x = images(np.float32, n=6, height=28, width=28)
    np.testing.assert_array_equal(random_affine(x, rng=3), random_affine(x, rng=3))
    assert not np.array_equal(random_affine(x, rng=3), random_affine(x, rng=4))
    generator = np.random.default_rng(3)
    np.testing.assert_array_equal(random_affine(x, rng=generator), random_affine(x, rng=3))


def test_random_affine_draws_angle_then_shifts_scaled_as_documented():
    x = images(np.float64, n=6, height=20, width=30)
    rng = np.random.default_rng(9)
    angle = rng.uniform(-0.1, 0.1, 6) * 2 * np.pi
    shift_x = rng.uniform(-0.2, 0.2, 6) * 30
    shift_y = rng.uniform(-0.2, 0.2, 6) * 20
    np.testing.assert_array_equal(random_affine(x, max_shift=0.2, max_rotation=0.1, rng=9),
                                  affine_transform(x, angle, shift_x, shift_y))


def test_augment_dataset_concatenates_independent_copies():
    x = images(np.uint8, n=4, height=28, width=28)
    labels = np.array([3, 1, 4, 1])
    out, out_labels = augment_dataset(x, labels, copies=3, rng=0)
    assert out.shape == (12, 28, 28) and out.dtype == np.uint8
    np.testing.assert_array_equal(out_labels, np.concatenate([labels] * 3))
    assert not np.array_equal(out[:4], out[4:8])  # each copy has its own draws
    again, _ = augment_dataset(x, labels, copies=3, rng=0)
    np.testing.assert_array_equal(out, again)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(out[:4], random_affine(x, rng=rng))
    np.testing.assert_array_equal(out[4:8], random_affine(x, rng=rng))


def test_augment_dataset_keeps_one_hot_labels_per_row():
    x = images(np.float32, n=2)
    one_hot = np.eye(2)
    _, out_labels = augment_dataset(x, one_hot, copies=2, rng=0)
    np.testing.assert_array_equal(out_labels, np.vstack([one_hot, one_hot]))


@pytest.mark.parametrize("copies", [0, -1, 1.5, True])
def test_augment_dataset_rejects_bad_copies(copies):
    with pytest.raises(ValueError, match="copies >= 1"):
        augment_dataset(images(np.uint8), np.zeros(3), copies=copies)


def test_augment_dataset_rejects_mismatched_labels():
    with pytest.raises(ValueError, match=r"labels of shape \(2,\) for images of shape \(3, 8, 8\)"):
        augment_dataset(images(np.uint8), np.zeros(2))


def test_argument_checks():
    x = images(np.float32)
    with pytest.raises(TypeError, match="int32"):
        affine_transform(x.astype(np.int32), 0, 0, 0)
    with pytest.raises(TypeError, match="list"):
        random_affine([[[1.0]]])
    with pytest.raises(ValueError, match=r"\(N, H, W\), got \(8, 8\)"):
        affine_transform(x[0], 0, 0, 0)
    with pytest.raises(ValueError, match=r"shift_x to be a scalar or of shape \(3,\)"):
        affine_transform(x, 0, np.zeros(2), 0)
    with pytest.raises(ValueError, match="finite angle"):
        affine_transform(x, np.nan, 0, 0)
    with pytest.raises(ValueError, match="max_shift >= 0, got -0.1"):
        random_affine(x, max_shift=-0.1)
    with pytest.raises(ValueError, match="max_rotation >= 0"):
        random_affine(x, max_rotation=np.inf)
