"""Sequential: layers applied in order, gradients passed back in reverse."""
from __future__ import annotations

from typing import Iterator, Mapping

import numpy as np

from .layers.base import Layer


class Sequential:
    """A chain of layers, like torch.nn.Sequential.

    Example:
        >>> model = Sequential(Dense(784, 64), ReLU(), Dense(64, 10))
        >>> logits = model.forward(x)
        >>> loss = criterion(logits, y)
        >>> model.backward(criterion.backward())
        >>> optimizer.step()
    """

    def __init__(self, *layers: Layer):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} must be a Layer, got {type(layer).__name__}")
        self.layers: list[Layer] = list(layers)
        self.training = True

    # container ---------------------------------------------------------------------------
    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"

    # computation -------------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool | None = None) -> np.ndarray:
        """Run every layer. ``training`` overrides the mode; by default each layer runs in
        its own, which train()/eval() set for all (or set one, e.g. ``model[3].eval()``)."""
        for layer in self.layers:
            x = layer(x, training)
        return x

    __call__ = forward

    def predict(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Inference: ``forward(x, training=False)`` run over chunks of ``batch_size``
        samples, with the same result. A chunk's intermediate arrays stay in the CPU's
        caches, where a whole large batch would stream each one through main memory
        (about twice as fast for MyCNN at N=1000). Use ``forward`` when a backward pass
        follows: after ``predict`` the layers hold only the last chunk's state."""
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"Sequential.predict: expected batch_size >= 1, got {batch_size!r}")
        if not isinstance(x, np.ndarray) or x.ndim == 0 or len(x) == 0:
            raise ValueError(f"Sequential.predict: expected a non-empty batch (N, ...), got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        batch_size = int(batch_size)
        first = self.forward(x[:batch_size], training=False)
        if len(x) <= batch_size:
            return first
        out = np.empty((len(x), *first.shape[1:]), first.dtype)
        out[:batch_size] = first
        for start in range(batch_size, len(x), batch_size):
            out[start:start + batch_size] = self.forward(x[start:start + batch_size], training=False)
        return out

    def backward(self, grad_output: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate dL/d(output) through every layer and return dL/d(input). With
        ``input_grad=False`` the first layer only fills its parameter gradients (the input
        gradient of a training step is never used) and None is returned."""
        for layer in reversed(self.layers[1:]):
            grad_output = layer.backward(grad_output)
        if not self.layers:
            return grad_output
        if input_grad:
            return self.layers[0].backward(grad_output)
        self.layers[0].backward_params(grad_output)
        return None

    def train(self, mode: bool = True) -> "Sequential":
        """Training mode for the model and every layer."""
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> "Sequential":
        """Inference mode for the model and every layer."""
        return self.train(False)

    # parameters and state ----------------------------------------------------------------
    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(parameter, gradient) pairs of every layer, in order: what optimizers take."""
        return [pair for layer in self.layers for pair in layer.parameters()]

    def num_parameters(self) -> int:
        """Total trainable numbers."""
        return sum(layer.num_parameters() for layer in self.layers)

    @property
    def dtype(self) -> np.dtype | None:
        """The parameters' dtype (None if no layer has parameters)."""
        for layer in self.layers:
            if layer.dtype is not None:
                return layer.dtype
        return None

    def to(self, dtype) -> "Sequential":
        """Cast every parameter and buffer (``model.to(np.float64)`` is torch's .double())."""
        for layer in self.layers:
            layer.to(dtype)
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of parameters and buffers under PyTorch's keys, e.g. '0.weight',
        '3.running_mean'."""
        return {f"{i}.{name}": value.copy()
                for i, layer in enumerate(self.layers) for name, value in layer.named_tensors()}

    def load_state_dict(self, state_dict: Mapping[str, np.ndarray], strict: bool = True) -> None:
        """Copy arrays into the model's own (keeping its dtype). Keys only PyTorch has
        (``num_batches_tracked``) are skipped; with ``strict`` any other missing or
        unexpected key, or a wrong shape, raises ValueError naming the key."""
        own = {f"{i}.{name}": value
               for i, layer in enumerate(self.layers) for name, value in layer.named_tensors()}
        given = {k: v for k, v in state_dict.items() if not k.endswith("num_batches_tracked")}
        missing = sorted(set(own) - set(given))
        unexpected = sorted(set(given) - set(own))
        if strict and (missing or unexpected):
            raise ValueError(f"Sequential.load_state_dict: missing keys {missing}, "
                             f"unexpected keys {unexpected}")
        for key in own.keys() & given.keys():
            value = np.asarray(given[key])
            if value.shape != own[key].shape:
                raise ValueError(f"Sequential.load_state_dict: '{key}' expected shape "
                                 f"{own[key].shape}, got {value.shape}")
            if value.dtype.kind not in "fiu":
                raise TypeError(f"Sequential.load_state_dict: '{key}' expected a numeric array, "
                                f"got dtype {value.dtype}")
        for key in own.keys() & given.keys():
            own[key][...] = np.asarray(given[key])

    # description -------------------------------------------------------------------------
    def summary(self, input_shape: tuple[int, ...]) -> str:
        """A table of layer, output shape and parameter count for an input shape without
        the batch axis, e.g. ``model.summary((1, 28, 28))``."""
        shape = (1, *input_shape)
        rows = [("Layer", "Output shape", "Params")]
        for i, layer in enumerate(self.layers):
            shape = layer.output_shape(shape)
            dims = ", ".join(map(str, shape[1:]))
            rows.append((f"{i}: {type(layer).__name__}", f"(N, {dims})",
                         f"{layer.num_parameters():,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(3)]
        lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows]
        rule = "-" * len(lines[0])
        dtype = self.dtype or np.dtype(np.float32)
        total = self.num_parameters()
        return "\n".join([lines[0], rule, *lines[1:], rule,
                          f"Total params: {total:,} ({total * dtype.itemsize / 1024:.1f} KiB "
                          f"as {dtype})"])

