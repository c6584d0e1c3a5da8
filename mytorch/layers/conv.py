"""2-D convolution over NCHW input, PyTorch's nn.Conv2d (groups=1, dilation=1)."""
from __future__ import annotations

import numpy as np

from .. import init
from ..kernels import conv as k
from ..kernels import conv_weight_grad as kw
from ..kernels._jit import product_work, sized
from ..kernels.conv import BLOCK, SPAN, WIDE
from ..threads import get_num_threads
from .base import Layer, new_param


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 0 for v in pair):
        raise ValueError(f"Conv2D: {name} must be a non-negative int or a pair, got {value!r}")
    return int(pair[0]), int(pair[1])


def _round_up(count: int, multiple: int) -> int:
    return -(-count // multiple) * multiple


class Conv2D(Layer):
    """Cross-correlation of (N, in_channels, H, W) input with (out, in, kh, kw) weights.

    Args:
        in_channels, out_channels: channel counts.
        kernel_size: int or (kh, kw).
        stride: int or pair (default 1). Strides above 1 are computed as a stride-1
            convolution that is then subsampled: correct, but it does stride^2 the work.
        padding: int, pair, "valid" (0) or "same" (stride 1 only; for even kernels the
            extra row/column goes at the bottom/right, as in PyTorch).
        bias: whether to add a learned bias.
        dtype, rng: parameter dtype and generator for PyTorch's default init.

    Output shape (N, out_channels, (H + pad_h_total - kh) // sh + 1, (W + ... ) // sw + 1).

    Example:
        >>> conv = Conv2D(1, 8, 5, padding="same")
        >>> conv(np.zeros((2, 1, 28, 28), np.float32)).shape
        (2, 8, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, bias: bool = True, dtype=np.float32, rng=None):
        super().__init__()
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"Conv2D: kernel_size and stride must be >= 1, got "
                             f"{kernel_size!r} and {stride!r}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv2D: padding must be an int, a pair, 'same' or 'valid', "
                                 f"got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("Conv2D: padding='same' needs stride 1, as in PyTorch")
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding")
        kh, kw = self.kernel_size
        if self.padding == "same":  # (top, bottom), (left, right)
            self._pads = ((kh - 1) // 2, kh - 1 - (kh - 1) // 2, (kw - 1) // 2, kw - 1 - (kw - 1) // 2)
        elif self.padding == "valid":
            self._pads = (0, 0, 0, 0)
        else:
            ph, pw = self.padding
            self._pads = (ph, ph, pw, pw)
        self.params["weight"] = new_param((out_channels, in_channels, kh, kw), dtype)
        if bias:
            self.params["bias"] = new_param((out_channels,), dtype)
        self.grads = {name: np.zeros_like(v) for name, v in self.params.items()}
        init.torch_default_(self.params["weight"], self.params.get("bias"), rng)
        self._plan: dict = {}
        self._key: tuple | None = None
        self._x: np.ndarray | None = None

    # geometry -----------------------------------------------------------------------------
    def _geometry(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(padded height, padded width, output height, output width)."""
        top, bottom, left, right = self._pads
        hp, wp = height + top + bottom, width + left + right
        kh, kw = self.kernel_size
        if hp < kh or wp < kw:
            raise ValueError(f"Conv2D: input {height}x{width} (padded {hp}x{wp}) is smaller "
                             f"than the kernel {kh}x{kw}")
        return hp, wp, (hp - kh) // self.stride[0] + 1, (wp - kw) // self.stride[1] + 1

    def output_shape(self, input_shape):
        _, _, out_h, out_w = self._geometry(input_shape[2], input_shape[3])
        return (input_shape[0], self.out_channels, out_h, out_w)

    def _plan_for(self, x: np.ndarray) -> dict:
        """Tap tables and scratch geometry for this input shape, built once and reused."""
        key = (x.shape, x.dtype)
        if key == self._key:
            return self._plan
        n, c, height, width = x.shape
        hp, wp, _, _ = self._geometry(height, width)
        kh, kw = self.kernel_size
        o = self.out_channels
        grid_len = (hp - kh + 1) * wp  # the stride-1 output grid, row width wp
        margin = (kh - 1) * wp + kw - 1  # lets the input gradient read "before" the grid
        offsets = (np.arange(kh)[:, None] * wp + np.arange(kw)[None, :]).ravel()

        def taps(channels: int, shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            count = channels * len(shifts)
            padded = _round_up(count, BLOCK)  # padding taps read channel 0 with weight 0
            channel = np.zeros(padded, np.int64)
            shift = np.zeros(padded, np.int64)
            channel[:count] = np.repeat(np.arange(channels), len(shifts))
            shift[:count] = np.tile(shifts, channels)
            return channel, shift

        self._plan = {
            "wp": wp, "grid_len": grid_len, "margin": margin,
            # the padded input: row h of the image starts at (h + top)*wp + left
            "input_base": self._pads[0] * wp + self._pads[2],
            "input_length": margin + k.round_to_span(grid_len) + SPAN,
            "forward_taps": taps(c, offsets),
            # the input gradient is only needed on the padded rows that hold the input
            "backward_taps": taps(o, margin - offsets + self._pads[0] * wp),
            "grad_length": margin + hp * wp + SPAN,
            # the stride-1 grid, kept only when the output is a subsample of it
            "grid": (np.empty((n, o, grid_len // wp, wp), x.dtype) if self.stride != (1, 1)
                     else None),
            # correlate's bias: a multiple of WIDE entries, zero past the real ones
            "bias": np.zeros(_round_up(o, WIDE), x.dtype),
            "no_bias": np.zeros(_round_up(c, WIDE), x.dtype),
        }
        self._key = key
        return self._plan

    def _weight_matrices(self, forward: bool) -> np.ndarray:
        """The weight as correlate's (outputs, taps) matrix, outputs padded to WIDE with
        zeros: (O, C*kh*kw) for the forward pass, (C, O*kh*kw) for the input gradient."""
        weight = self.params["weight"]
        if not forward:
            weight = weight.transpose(1, 0, 2, 3)
        rows = weight.shape[0]
        matrix = np.zeros((_round_up(rows, WIDE), weight.size // rows), weight.dtype)
        matrix[:rows] = weight.reshape(rows, -1)
        return matrix

    # forward / backward --------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        self._check_input(x, (4,), f"(N, {self.in_channels}, H, W)")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2D: expected input (N, {self.in_channels}, H, W), "
                             f"got shape {x.shape}")
        x = np.ascontiguousarray(x)
        n, _, height, width = x.shape
        _, _, out_h, out_w = self._geometry(height, width)
        plan = self._plan_for(x)
        wp, grid = plan["wp"], plan["grid"]
        bias = plan["bias"]
        if "bias" in self.params:
            bias[:self.out_channels] = self.params["bias"]
        channel, shift = plan["forward_taps"]
        weight = self._weight_matrices(True)
        correlate = sized(k.correlate, product_work(weight.size * plan["grid_len"] * n))
        out = np.empty((n, self.out_channels, out_h, out_w), x.dtype)
        layout = (x, plan["input_base"], wp, 1, plan["input_length"], channel, shift, weight,
                  bias, wp, 0, get_num_threads())
        if grid is None:  # stride 1: the kernel writes the output itself
            correlate(*layout, out)
        else:
            correlate(*layout, grid)
            sized(k.grid_to_output, out.size)(grid, self.stride[0], self.stride[1], out)
        self._x = x  # the weight gradient reads it (kept, not copied, as torch saves inputs)
        return self._remember_output(out)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._x)
        self._weight_grad(grad_output)
        return self._input_grad(grad_output)

    def backward_params(self, grad_output: np.ndarray) -> None:
        """The weight and bias gradients only (what the first layer of a model needs)."""
        self._weight_grad(self._check_grad(grad_output, self._x))

    def backward_input(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/d(input) only; ``grads`` are left as they are."""
        return self._input_grad(self._check_grad(grad_output, self._x))

    def _weight_grad(self, grad_output: np.ndarray) -> None:
        plan = self._plan
        channel, shift = plan["forward_taps"]
        weight_grad = self.grads["weight"]
        grad_matrix = np.empty((self.out_channels, len(channel)), weight_grad.dtype)
        grad_bias = self.grads.get("bias", np.empty(self.out_channels, weight_grad.dtype))
        length, wp = k.round_to_span(plan["grid_len"]), plan["wp"]
        kernel = (kw.correlate_weight_grad_wide if self.out_channels >= WIDE
                  else kw.correlate_weight_grad)
        weight_grad_of = sized(kernel, product_work(grad_matrix.size * length * len(self._x)))
        weight_grad_of(grad_output, self.stride[0] * wp, self.stride[1], self._x,
                       plan["input_base"], wp, plan["input_length"], channel, shift, length,
                       get_num_threads(), grad_matrix, grad_bias)
        weight_grad[...] = grad_matrix[:, :weight_grad[0].size].reshape(weight_grad.shape)

    def _input_grad(self, grad_output: np.ndarray) -> np.ndarray:
        plan = self._plan
        channel, shift = plan["backward_taps"]
        weight, wp = self._weight_matrices(False), plan["wp"]
        grad_x = np.empty(self._x.shape, grad_output.dtype)
        # only the padded rows that hold the input, and of those only the input's columns
        correlate = sized(k.correlate,
                          product_work(weight.size * grad_x.shape[2] * wp * len(grad_x)))
        correlate(grad_output, plan["margin"], self.stride[0] * wp, self.stride[1],
                  plan["grad_length"], channel, shift, weight,
                  plan["no_bias"], wp, self._pads[2], get_num_threads(),
                  grad_x)
        return grad_x

    def config(self) -> dict:
        return {**super().config(), "bias": "bias" in self.params}

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}")
