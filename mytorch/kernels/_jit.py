"""The one decorator every kernel uses, so compile options live in one place, and the rule
that picks a parallel kernel or its one-thread twin by the size of the work."""
from __future__ import annotations

import contextlib
import types

import numba

# Reassociation lets LLVM vectorise reductions; the order is still fixed by the compiled
# code, so results are bit-identical from run to run. We leave out 'nnan'/'ninf' so that
# NaN and inf propagate and the training loop can report them. For the same reason,
# division by zero follows NumPy (inf or NaN) rather than Python (ZeroDivisionError): that
# also keeps the check out of the loops, which is what lets a serial loop be vectorised.
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
OPTIONS = {"cache": True, "fastmath": FASTMATH, "error_model": "numpy"}

# Waking the thread pool costs a few microseconds, and on a busy VM much more; below this
# much work a single thread finishes first. Work is counted in elements of an element-wise
# kernel; a product's multiply-adds count PRODUCT_LANES to an element (a vectorised
# multiply-add on cached data costs about that much less). Measured on 2 cores: ReLU on
# 4,096 elements takes 0.9 us on one thread and 2.9 us on two; on 100,000, 16 us and 10 us.
# MyMLP's training step (largest product 0.94M multiply-adds, largest tensor 58,800
# floats) takes 118 us on one thread and 115 us on two; with the pool's threads asleep
# between kernels (OMP_WAIT_POLICY=passive, which this VM's slow spells resemble), two
# threads take 330-470 us. So that step now runs on one thread; MyCNN's stays parallel.
SERIAL_BELOW = 65_536
PRODUCT_LANES = 16


def _twin(f: types.FunctionType) -> types.FunctionType:
    """A copy of f under another name, so that Numba's disk cache (keyed by the function's
    qualified name, not by the compile options) keeps the two compilations apart."""
    copy = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial",
                              f.__defaults__, f.__closure__)
    copy.__qualname__ = f.__qualname__ + "_serial"
    copy.__module__ = f.__module__
    copy.__doc__ = f.__doc__
    return copy


def kernel(fn=None, *, parallel: bool = False):
    """``numba.njit`` with MyTorch's defaults: cached on disk, safe fast-math, NumPy's
    division rules. A parallel kernel also gets ``.serial``, the same code compiled for
    one thread (``prange`` runs as ``range``); ``sized`` chooses between them. Both give
    bit-identical results."""
    def wrap(f):
        compiled = numba.njit(parallel=parallel, **OPTIONS)(f)
        if parallel:
            compiled.serial = numba.njit(**OPTIONS)(_twin(f))
        return compiled
    return wrap(fn) if fn is not None else wrap


def sized(compiled, work: int):
    """The parallel kernel, or its serial twin when ``work`` (elements, see SERIAL_BELOW)
    is too small to pay for the threads."""
    return compiled.serial if work < SERIAL_BELOW else compiled


def product_work(multiply_adds: int) -> int:
    """A product's multiply-adds as ``sized`` work."""
    return multiply_adds // PRODUCT_LANES


@contextlib.contextmanager
def serial_below(limit: int):
    """Temporarily move the threshold (warmup uses it to compile both versions)."""
    global SERIAL_BELOW
    saved, SERIAL_BELOW = SERIAL_BELOW, limit
    try:
        yield
    finally:
        SERIAL_BELOW = saved
