"""Arrays on the stack, so that LLVM can keep a kernel's accumulators in registers.

An array from ``np.empty`` lives on the heap, and LLVM must store every update to it back
to memory. A small fixed-size array on the stack (an LLVM ``alloca``), indexed only with
constants once its loops are unrolled, becomes plain SSA values: registers. That is how
``correlate`` holds a block of 8 x 32 sums across all its taps."""
from __future__ import annotations

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def stack_empty(typingctx, size, dtype):
    """stack_empty(size, dtype) -> a pointer to ``size`` uninitialised elements of dtype in
    the calling function's stack frame; wrap it with ``numba.carray(pointer, shape)``.
    ``size`` must be a compile-time constant (a literal or a module-level int)."""
    if not isinstance(size, types.IntegerLiteral) or not isinstance(dtype, types.DType):
        return None
    count = size.literal_value

    def codegen(context, builder, signature, args):
        element = context.get_value_type(dtype.dtype)
        return cgutils.alloca_once(builder, element, size=count)

    return types.CPointer(dtype.dtype)(size, dtype), codegen
