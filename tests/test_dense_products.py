"""kernels.dense.matmul_rows (Dense's backward products, and its forward pass on short rows)
on shapes around its blocks."""
import numpy as np
import pytest

from mytorch.kernels.conv import OUTPUTS, SPAN
from mytorch.kernels.dense import matmul_rows

# (rows, depth, columns): fewer rows than a block and an odd remainder of rows; fewer
# columns than SPAN, exactly SPAN, and whole spans plus a remainder; depth 1 and deep.
SHAPES = [(1, 1, 1), (3, 5, SPAN), (OUTPUTS, 16, SPAN - 1), (OUTPUTS + 3, 2, 2 * SPAN + 7),
          (75, 16, 784), (16, 75, 25), (33, 70, 129)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose_a, with_bias", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("rows, depth, columns", SHAPES)
def test_matmul_rows_matches_numpy(rows, depth, columns, transpose_a, with_bias, dtype, rng):
    a = rng.standard_normal((depth, rows) if transpose_a else (rows, depth)).astype(dtype)
    b = rng.standard_normal((depth, columns)).astype(dtype)
    bias = rng.standard_normal(columns).astype(dtype) if with_bias else np.zeros(0, dtype)
    expected = (a.T if transpose_a else a).astype(np.float64) @ b.astype(np.float64)
    if with_bias:
        expected += bias
    out = np.full((rows, columns), np.nan, dtype)  # every element must be written
    matmul_rows(a, transpose_a, b, bias, out)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol * np.sqrt(depth))
    one_thread = np.full_like(out, np.nan)
    matmul_rows.serial(a, transpose_a, b, bias, one_thread)
    np.testing.assert_array_equal(one_thread, out)  # the sum's order is the thread count's
