"""2-D convolution over NCHW input, PyTorch's nn.Conv2d (groups=1, dilation=1)."""
from __future__ import annotations

import numpy as np

from .. import init
from ..kernels import conv as k
from .base import Layer, new_param


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or any(int(v) != v or v < 0 for v in pair):
        raise ValueError(f"Conv2D: {name} must be a non-negative int or a pair, got {value!r}")
    return int(pair[0]), int(pair[1])


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
        self._scratch: dict[str, np.ndarray] = {}
        self._key: tuple | None = None
        self._input_hw: tuple[int, int] | None = None

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

    def _buffers_for(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Scratch arrays for this input shape, allocated once and reused every step."""
        key = (x.shape, x.dtype)
        if key != self._key:
            n, c, height, width = x.shape
            hp, wp, _, _ = self._geometry(height, width)
            grid_len = (hp - self.kernel_size[0] + 1) * wp
            slack = self.kernel_size[1] - 1
            self._scratch = {
                "x_pad": np.zeros((n, c, hp * wp + slack), x.dtype),
                "grid": np.empty((n, self.out_channels, grid_len), x.dtype),
                "grad_x_pad": np.empty((n, c, hp * wp + slack), x.dtype),
            }
            self._key = key
        return self._scratch

    # forward / backward --------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        self._check_input(x, (4,), f"(N, {self.in_channels}, H, W)")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2D: expected input (N, {self.in_channels}, H, W), "
                             f"got shape {x.shape}")
        x = np.ascontiguousarray(x)
        n, _, height, width = x.shape
        _, wp, out_h, out_w = self._geometry(height, width)
        s = self._buffers_for(x)
        k.pad_input(x, self._pads[0], self._pads[2], wp, s["x_pad"])
        bias = self.params.get("bias")
        if bias is None:
            bias = np.zeros(self.out_channels, x.dtype)
        k.conv_forward_grid(s["x_pad"], self.params["weight"], bias, wp, s["grid"])
        out = np.empty((n, self.out_channels, out_h, out_w), x.dtype)
        k.grid_to_output(s["grid"], wp, self.stride[0], self.stride[1], out)
        self._input_hw = (height, width)
        return self._remember_output(out)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        grad_output = self._check_grad(grad_output, self._input_hw)
        s = self._scratch
        height, width = self._input_hw
        _, wp, _, _ = self._geometry(height, width)
        k.output_to_grid(grad_output, wp, self.stride[0], self.stride[1], s["grid"])
        grad_bias = self.grads.get("bias")
        if grad_bias is None:
            grad_bias = np.empty(self.out_channels, grad_output.dtype)
        k.conv_backward_weight_grid(s["grid"], s["x_pad"], wp, self.grads["weight"], grad_bias)
        k.conv_backward_input_grid(s["grid"], self.params["weight"], wp, s["grad_x_pad"])
        grad_x = np.empty((grad_output.shape[0], self.in_channels, height, width), grad_output.dtype)
        k.unpad_input(s["grad_x_pad"], self._pads[0], self._pads[2], wp, grad_x)
        return grad_x

    def config(self) -> dict:
        return {**super().config(), "bias": "bias" in self.params}

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}")
