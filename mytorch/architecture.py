"""Describe a Sequential as plain data (for checkpoints) and rebuild it from that."""
from __future__ import annotations

import inspect

import numpy as np

from . import layers as _layers
from .layers.base import Layer
from .sequential import Sequential

BUILTIN_LAYERS: dict[str, type[Layer]] = {
    name: getattr(_layers, name) for name in _layers.__all__ if name != "Layer"
}


def _plain(value):
    """Tuples become lists so the description survives a JSON round trip unchanged."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def describe(model: Sequential) -> list[dict]:
    """[{"type": "Conv2D", "in_channels": 1, ...}, ...]: enough to rebuild the model."""
    return [{"type": type(layer).__name__, **{k: _plain(v) for k, v in layer.config().items()}}
            for layer in model]


def build(description: list[dict], dtype=np.float32,
          custom_layers: dict[str, type[Layer]] | None = None) -> Sequential:
    """Rebuild a Sequential from ``describe``'s output. Layers of your own are found in
    ``custom_layers`` (name -> class)."""
    known = {**BUILTIN_LAYERS, **(custom_layers or {})}
    built = []
    for i, spec in enumerate(description):
        spec = dict(spec)
        name = spec.pop("type", None)
        if name not in known:
            raise ValueError(f"architecture: layer {i} has unknown type {name!r}; known: "
                             f"{sorted(known)} (pass custom_layers= for layers of your own)")
        cls = known[name]
        if "dtype" in inspect.signature(cls.__init__).parameters:
            spec["dtype"] = dtype
        built.append(cls(**spec))
    return Sequential(*built)
