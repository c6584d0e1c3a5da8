"""The one decorator every kernel uses, so compile options live in one place."""
from __future__ import annotations

import numba

# Reassociation lets LLVM vectorise reductions; the order is still fixed by the compiled
# code, so results are bit-identical from run to run. We leave out 'nnan'/'ninf' so that
# NaN and inf propagate and the training loop can report them.
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


def kernel(fn=None, *, parallel: bool = False):
    """``numba.njit`` with MyTorch's defaults: cached on disk, safe fast-math."""
    def wrap(f):
        return numba.njit(cache=True, parallel=parallel, fastmath=FASTMATH)(f)
    return wrap(fn) if fn is not None else wrap
