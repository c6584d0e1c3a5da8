"""The Layer contract and the input checks every layer runs at its boundary."""
from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Iterator

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Layer(ABC):
    """A layer computes ``forward(x, training)`` and, from what forward kept,
    ``backward(grad_output) -> grad_input``.

    ``params`` maps names to parameter arrays, ``grads`` holds their gradients under the
    same names (overwritten, not accumulated, by each backward), ``buffers`` holds state
    that is saved but not trained (BatchNorm's running statistics). Layers know nothing
    about optimizers: an optimizer sees only (parameter, gradient) pairs.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True
        self._output_shape: tuple[int, ...] | None = None
        self._output_dtype: np.dtype | None = None

    # --- the contract -------------------------------------------------------------------
    @abstractmethod
    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """Compute the output for a batch x and keep what backward needs."""

    @abstractmethod
    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Given dL/d(output) of the last forward, fill ``grads`` and return dL/d(input)."""

    def backward_params(self, grad_output: np.ndarray) -> None:
        """Fill ``grads`` without returning dL/d(input). Sequential calls this on its first
        layer, whose input gradient nobody needs; layers override it where skipping the
        input gradient saves work (Conv2D, Dense)."""
        self.backward(grad_output)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape for an input shape (batch dimension included); used by summary."""
        return tuple(input_shape)

    # --- conveniences -------------------------------------------------------------------
    def __call__(self, x: np.ndarray, training: bool | None = None) -> np.ndarray:
        return self.forward(x, self.training if training is None else training)

    def train(self, mode: bool = True) -> "Layer":
        """Set training mode (batch statistics in BatchNorm)."""
        self.training = mode
        return self

    def eval(self) -> "Layer":
        """Set inference mode (running statistics in BatchNorm)."""
        return self.train(False)

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(parameter, gradient) pairs, the only thing an optimizer sees."""
        return [(self.params[k], self.grads[k]) for k in self.params]

    def named_tensors(self) -> Iterator[tuple[str, np.ndarray]]:
        """Parameters then buffers, with their names: what state_dict saves."""
        yield from self.params.items()
        yield from self.buffers.items()

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the parameters, or None for a layer without any."""
        for value in self.params.values():
            return value.dtype
        return None

    def to(self, dtype) -> "Layer":
        """Cast parameters, gradients and buffers to dtype (like torch's ``.double()``).
        The arrays are kept when the dtype is already right; a real cast makes new ones,
        so build the optimizer after ``.to()``."""
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"{type(self).__name__}.to: expected float32 or float64, got {dtype}")
        for store in (self.params, self.grads, self.buffers):
            for name, value in store.items():
                store[name] = value.astype(dtype, copy=False)
        return self

    def config(self) -> dict:
        """The constructor arguments that rebuild this layer (as Keras' get_config): every
        argument of ``__init__`` but dtype and rng, read from the same-named attribute."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names
                if name not in ("self", "dtype", "rng") and hasattr(self, name)}

    def num_parameters(self) -> int:
        """How many trainable numbers the layer has."""
        return sum(p.size for p in self.params.values())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return ""

    # --- checks at the boundary ---------------------------------------------------------
    def _check_input(self, x: np.ndarray, ndims: tuple[int, ...], what: str) -> None:
        """Raise a clear error unless x is a float array of an accepted rank whose dtype
        matches the parameters. ``what`` describes the expected layout, e.g. '(N, C, H, W)'."""
        name = type(self).__name__
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name}: expected a numpy array {what}, got {type(x).__name__}")
        if x.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name}: expected a float32 or float64 array {what}, "
                            f"got dtype {x.dtype}")
        if self.dtype is not None and x.dtype != self.dtype:
            raise TypeError(f"{name}: expected input of dtype {self.dtype} (the parameters' "
                            f"dtype; cast the model with .to() or the input with .astype()), "
                            f"got {x.dtype}")
        if x.ndim not in ndims:
            raise ValueError(f"{name}: expected input {what}, got shape {x.shape}")
        if x.shape[0] == 0:
            raise ValueError(f"{name}: expected a non-empty batch {what}, got shape {x.shape}")

    def _check_grad(self, grad_output: np.ndarray, cache: object) -> np.ndarray:
        """Raise unless forward ran and grad_output matches the last output's shape."""
        name = type(self).__name__
        if cache is None:
            raise ValueError(f"{name}.backward: called before forward; run forward first")
        if not isinstance(grad_output, np.ndarray) or grad_output.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name}.backward: expected a float array, got "
                            f"{getattr(grad_output, 'dtype', type(grad_output).__name__)}")
        if grad_output.dtype != self._output_dtype:
            raise TypeError(f"{name}.backward: expected grad_output of dtype "
                            f"{self._output_dtype} (the last output's), got {grad_output.dtype}")
        if grad_output.shape != self._output_shape:
            raise ValueError(f"{name}.backward: expected grad_output of shape "
                             f"{self._output_shape} (the last output's), got {grad_output.shape}")
        return np.ascontiguousarray(grad_output)


    def _remember_output(self, out: np.ndarray) -> np.ndarray:
        """Record the output's shape and dtype so backward can check grad_output."""
        self._output_shape = out.shape
        self._output_dtype = out.dtype
        return out


def new_param(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A zero parameter array of a float dtype (checked here, once, for every layer)."""
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"parameters must be float32 or float64, got dtype {dtype}")
    return np.zeros(shape, dtype=dtype)
