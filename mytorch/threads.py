"""The one setting for how many threads the kernels use."""
from __future__ import annotations

import numba


def set_num_threads(n: int) -> None:
    """Use n threads in every parallel kernel (at most the cores Numba found)."""
    limit = numba.config.NUMBA_NUM_THREADS
    if not 1 <= n <= limit:
        raise ValueError(f"set_num_threads: expected 1..{limit}, got {n}")
    numba.set_num_threads(n)


def get_num_threads() -> int:
    """Threads the parallel kernels use now."""
    return numba.get_num_threads()
