"""kernels._stack.stack_empty: the stack arrays that hold the conv kernels' register blocks."""
import numba
import numpy as np
import pytest
from numba import carray, njit

from mytorch.kernels._stack import stack_empty

ROWS, COLS = 3, 5
SIZE = ROWS * COLS  # a module-level int: a compile-time constant to Numba


@njit
def _row_sums_via_stack(x):
    """Copy x (ROWS, COLS) into a stack array, add 1, and return the row sums."""
    block = carray(stack_empty(SIZE, x.dtype), (ROWS, COLS))
    for i in range(ROWS):
        for j in range(COLS):
            block[i, j] = x[i, j] + 1
    out = np.empty(ROWS, x.dtype)
    for i in range(ROWS):
        total = block[i, 0]
        for j in range(1, COLS):
            total += block[i, j]
        out[i] = total
    return out


@njit
def _size_from_argument(n, x):
    return carray(stack_empty(n, x.dtype), (n,))[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stack_array_holds_what_is_written(dtype):
    x = np.arange(SIZE, dtype=dtype).reshape(ROWS, COLS)
    out = _row_sums_via_stack(x)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, (x + 1).sum(axis=1))


def test_stack_array_size_must_be_a_compile_time_constant():
    with pytest.raises(numba.core.errors.TypingError, match="stack_empty"):
        _size_from_argument(4, np.zeros(1, np.float32))
