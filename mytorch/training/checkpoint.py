"""Checkpoints: model, architecture, optimizer state, epoch and RNG state in one .npz file.

Arrays are stored under "model/<key>" and "optimizer/<index>/<name>"; everything else
(architecture, hyper-parameters, epoch, RNG state, history, free-form extras) is one JSON
document stored as bytes under "meta". Files are written to a temporary name in the same
directory and renamed into place, so a crash or a full disk never leaves a half-written
checkpoint where a good one was.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..architecture import build, describe
from ..atomic import atomic_write
from ..sequential import Sequential

FORMAT = "mytorch-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that is corrupt, truncated, or does not fit the model."""


def _optimizer_arrays(state: dict) -> tuple[dict[str, np.ndarray], dict]:
    """Split an optimizer state_dict into arrays (for npz) and plain values (for JSON)."""
    arrays, plain = {}, {}
    for index, entry in state["state"].items():
        plain[str(index)] = {}
        for name, value in entry.items():
            if isinstance(value, np.ndarray):
                arrays[f"optimizer/{index}/{name}"] = value
            else:
                plain[str(index)][name] = value
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()}
              for g in state["param_groups"]]
    return arrays, {"type": None, "param_groups": groups, "scalars": plain}


def save_checkpoint(path, model: Sequential, optimizer=None, *, epoch: int = 0,
                    rng: np.random.Generator | None = None, history: list | None = None,
                    extra: dict | None = None,
                    extra_arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Write everything needed to rebuild the model and resume training, atomically.
    ``extra_arrays`` are stored as they are (the trainer keeps the best weights there)."""
    arrays = {f"model/{k}": v for k, v in model.state_dict().items()}
    arrays.update(extra_arrays or {})
    meta = {"format": FORMAT, "version": VERSION, "architecture": describe(model),
            "dtype": str(model.dtype or np.float32), "epoch": int(epoch),
            "rng_state": rng.bit_generator.state if rng is not None else None,
            "history": history or [], "extra": extra or {}, "optimizer": None}
    if optimizer is not None:
        opt_arrays, opt_meta = _optimizer_arrays(optimizer.state_dict())
        opt_meta["type"] = type(optimizer).__name__
        arrays.update(opt_arrays)
        meta["optimizer"] = opt_meta
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    with atomic_write(path) as file:
        np.savez(file, **arrays)
    return Path(path)


class Checkpoint:
    """A loaded checkpoint: ``meta`` (dict) and ``arrays`` (name -> ndarray)."""

    def __init__(self, path, meta: dict, arrays: dict[str, np.ndarray]):
        self.path, self.meta, self.arrays = Path(path), meta, arrays

    @property
    def epoch(self) -> int:
        return self.meta["epoch"]

    @property
    def history(self) -> list:
        return self.meta["history"]

    @property
    def extra(self) -> dict:
        return self.meta["extra"]

    def model_state(self) -> dict[str, np.ndarray]:
        return {k[len("model/"):]: v for k, v in self.arrays.items() if k.startswith("model/")}

    def build_model(self, custom_layers=None) -> Sequential:
        """A new Sequential of the saved architecture, with the saved weights."""
        try:
            model = build(self.meta["architecture"], np.dtype(self.meta["dtype"]), custom_layers)
            model.load_state_dict(self.model_state())
        except (TypeError, ValueError) as error:
            raise CheckpointError(f"{self.path}: cannot rebuild the model: {error}") from error
        return model

    def restore_model(self, model: Sequential) -> None:
        """Load the weights into an existing model of the same architecture."""
        if describe(model) != self.meta["architecture"]:
            raise CheckpointError(f"{self.path}: architecture mismatch: the file holds "
                                  f"{self.meta['architecture']}, the model is {describe(model)}")
        model.load_state_dict(self.model_state())

    def restore_optimizer(self, optimizer) -> None:
        """Load the optimizer's state (moments, steps, hyper-parameters)."""
        saved = self.meta.get("optimizer")
        if saved is None:
            raise CheckpointError(f"{self.path}: holds no optimizer state")
        if saved["type"] != type(optimizer).__name__:
            raise CheckpointError(f"{self.path}: optimizer mismatch: expected "
                                  f"{type(optimizer).__name__}, the file holds {saved['type']}")
        state: dict[int, dict] = {int(i): dict(v) for i, v in saved["scalars"].items()}
        for key, value in self.arrays.items():
            if key.startswith("optimizer/"):
                _, index, name = key.split("/", 2)
                state.setdefault(int(index), {})[name] = value
        groups = [{k: (tuple(v) if isinstance(v, list) else v) for k, v in g.items()}
                  for g in saved["param_groups"]]
        try:
            optimizer.load_state_dict({"state": state, "param_groups": groups})
        except ValueError as error:
            raise CheckpointError(f"{self.path}: {error}") from error

    def restore_rng(self) -> np.random.Generator | None:
        """A Generator in the saved state (None if none was saved)."""
        state = self.meta.get("rng_state")
        if state is None:
            return None
        rng = np.random.default_rng()
        rng.bit_generator.state = state
        return rng


def load_checkpoint(path) -> Checkpoint:
    """Read and validate a checkpoint; a missing, truncated, corrupt or foreign file
    raises CheckpointError (a ValueError) naming the file and the problem."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or corrupt "
                              f"npz file: {error})") from error
    if "meta" not in arrays:
        raise CheckpointError(f"{path}: not a MyTorch checkpoint (no 'meta' entry)")
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: corrupt metadata: {error}") from error
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: expected format {FORMAT} version {VERSION}, got "
                              f"{meta.get('format')} version {meta.get('version')}")
    return Checkpoint(path, meta, arrays)
