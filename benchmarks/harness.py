"""How one benchmark case runs: check against an oracle, then time.

A test builds an ``Impl`` per library: ``run()`` is the timed work (for JAX it blocks
until the result is ready) and ``snapshot()`` returns, untimed, what the last ``run()``
produced as NumPy arrays under names every library shares ('out', 'grad_x', ...).

``Bench.measure`` (the ``bench`` fixture in conftest.py) then
1. runs the library once, outside the timer: Numba compiles (or loads its cache), JAX
   traces and compiles;
2. compares that first result with the oracle's first result: the plain-NumPy reference
   for mytorch/torch/jax, MyTorch for the NumPy reference itself;
3. times ``run()`` with pytest-benchmark and records FLOP rates, threads and versions in
   ``benchmark.extra_info``.
"""
from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from typing import Callable

import numba
import numpy as np

import mytorch

# Optional peers: a case for a missing library is skipped, not failed (see conftest.py).
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = F = None
try:
    import jax
    import jax.numpy as jnp
except ImportError:
    jax = jnp = None

LIBS = ("mytorch", "torch", "jax", "numpy")


@dataclass
class Impl:
    """One library's version of a benchmark case."""
    run: Callable[[], object]
    snapshot: Callable[[], dict[str, np.ndarray]]


def to_numpy(value) -> np.ndarray:
    """A copy as a NumPy array, from NumPy, PyTorch, JAX or a Python number."""
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()
    return np.array(value)


def stateless(fn: Callable[[], tuple], names: tuple[str, ...], block: bool = False) -> Impl:
    """An Impl for a pure kernel: ``fn()`` returns one array per name. With ``block``
    (JAX) the timed call waits for the asynchronous result."""
    last: dict[str, tuple] = {}

    def run():
        out = fn()
        if block:
            out = jax.block_until_ready(out)
        last["out"] = out
        return out

    def snapshot():
        return {name: to_numpy(v) for name, v in zip(names, last["out"])}

    return Impl(run, snapshot)


def assert_agree(got: dict, want: dict, rtol: float, what: str) -> float:
    """Every array agrees to rtol relative to its own largest magnitude (float32 sums in
    a different order differ by that much, not elementwise-relatively). Returns the
    worst error in those units."""
    assert set(got) == set(want), f"{what}: results {sorted(got)} vs oracle {sorted(want)}"
    worst = 0.0
    for name in want:
        g = np.asarray(got[name], np.float64)
        w = np.asarray(want[name], np.float64)
        assert g.shape == w.shape, f"{what}: '{name}' shape {g.shape} vs oracle {w.shape}"
        scale = max(float(np.abs(w).max(initial=0.0)), 1e-30)
        error = float(np.abs(g - w).max(initial=0.0)) / scale
        assert np.all(np.isfinite(g)), f"{what}: '{name}' has non-finite values"
        assert error <= rtol, (f"{what}: '{name}' differs from the oracle by {error:.3g} of its "
                               f"largest magnitude {scale:.3g} (allowed {rtol:g})")
        worst = max(worst, error)
    return worst


def environment() -> dict:
    """Library versions and thread counts, recorded with every benchmark."""
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "numba": numba.__version__, "mytorch": mytorch.__version__}
    threads: dict[str, object] = {"numba": numba.get_num_threads()}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        versions["numpy_blas"] = f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:  # the layout of show_config is not a stable API
        pass
    if torch is not None:
        versions["torch"] = torch.__version__
        threads["torch"] = torch.get_num_threads()
    if jax is not None:
        versions["jax"] = jax.__version__
        # XLA:CPU sizes its intra-op pool to the cores it may use unless XLA_FLAGS says
        # otherwise; Python cannot query the pool itself.
        flag = re.search(r"intra_op_parallelism_threads=(\d+)", os.environ.get("XLA_FLAGS", ""))
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        threads["xla"] = int(flag.group(1)) if flag else cores
    return {"versions": versions, "threads": threads}


_ORACLE_CACHE: dict[tuple[str, str], dict] = {}


class Bench:
    """The ``bench`` fixture: one library, one pytest-benchmark fixture."""

    def __init__(self, benchmark, lib: str, env: dict, matmul_peak: float):
        self.benchmark = benchmark
        self.lib = lib
        self.env = env
        self.matmul_peak = matmul_peak

    def measure(self, group: str, build: Callable[[str], Impl], *, flops: float,
                rtol: float = 1e-4, vs_matmul_peak: bool = False) -> None:
        """Check ``build(self.lib)`` against the oracle, then time its ``run``.

        Args:
            group: the pytest-benchmark group (one table in run.py).
            build: library name -> Impl, with fresh state on every call.
            flops: floating-point operations of one ``run()``.
            rtol: allowed error relative to each result's largest magnitude.
            vs_matmul_peak: record the fraction of this run's float32 matmul throughput.
        """
        self.benchmark.group = group
        impl = build(self.lib)
        impl.run()  # warm-up: compile, allocate
        oracle_lib = "mytorch" if self.lib == "numpy" else "numpy"
        key = (group, oracle_lib)
        if key not in _ORACLE_CACHE:
            oracle = build(oracle_lib)
            oracle.run()
            _ORACLE_CACHE[key] = oracle.snapshot()
        error = assert_agree(impl.snapshot(), _ORACLE_CACHE[key], rtol,
                             f"{group}: {self.lib} vs {oracle_lib}")

        self.benchmark(impl.run)

        info = self.benchmark.extra_info
        info.update(library=self.lib, oracle=oracle_lib, max_error_vs_oracle=error,
                    flops=flops, threads=self.env["threads"], versions=self.env["versions"])
        if vs_matmul_peak:
            info["matmul_peak_gflops"] = self.matmul_peak
        if self.benchmark.stats:  # None with --benchmark-disable
            gflops = flops / self.benchmark.stats.stats.median / 1e9
            info["gflops"] = gflops
            if vs_matmul_peak:
                info["fraction_of_matmul_peak"] = gflops / self.matmul_peak
