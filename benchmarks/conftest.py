"""Fixtures of the benchmark suite: the library under test, thread counts, matmul peak.

Run with ``python -m pytest benchmarks`` (or ``python benchmarks/run.py`` for the table).
"""
from __future__ import annotations

import time

import numba
import numpy as np
import pytest

from .harness import LIBS, Bench, environment

MATMUL_SIZE = 2048


@pytest.fixture(scope="session", autouse=True)
def same_thread_count():
    """PyTorch gets as many threads as Numba's kernels (JAX's XLA pool cannot be set from
    Python; it uses one thread per core, which on this machine is the same number)."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(numba.get_num_threads())


@pytest.fixture(scope="session")
def env(same_thread_count) -> dict:
    """Versions and threads, read after the thread counts are set."""
    return environment()


@pytest.fixture(scope="session")
def matmul_peak() -> float:
    """float32 GFLOP/s of a 2048x2048 np.matmul in this run, best of 5: the compute
    ceiling the convolution numbers are compared with."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE), dtype=np.float32)
    b = rng.standard_normal((MATMUL_SIZE, MATMUL_SIZE), dtype=np.float32)
    a @ b  # let BLAS start its threads
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * MATMUL_SIZE ** 3 / best / 1e9


@pytest.fixture(params=LIBS)
def lib(request) -> str:
    """The library under test; torch and jax cases skip where the package is missing."""
    if request.param in ("torch", "jax"):
        pytest.importorskip(request.param)
    return request.param


@pytest.fixture
def bench(benchmark, lib, env, matmul_peak) -> Bench:
    return Bench(benchmark, lib, env, matmul_peak)
