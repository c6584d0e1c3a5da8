"""Bookkeeping shared by optimizers: parameters, hyper-parameters, per-tensor state."""
from __future__ import annotations

import numpy as np


class Optimizer:
    """Holds (parameter, gradient) pairs and per-parameter state; subclasses define
    ``step``. Like torch.optim, ``state_dict()`` keys state by parameter index."""

    def __init__(self, parameters, defaults: dict):
        pairs = list(parameters)
        if not pairs:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, pair in enumerate(pairs):
            if (not isinstance(pair, tuple) or len(pair) != 2
                    or not all(isinstance(a, np.ndarray) for a in pair)
                    or pair[0].shape != pair[1].shape):
                raise TypeError(f"{type(self).__name__}: parameter {i} must be a (param, grad) "
                                f"pair of arrays of one shape, as model.parameters() gives")
        if defaults.get("lr", 0.0) < 0:
            raise ValueError(f"{type(self).__name__}: expected lr >= 0, got {defaults['lr']}")
        self.params = [p for p, _ in pairs]
        self.grad_arrays = [g for _, g in pairs]
        self.defaults = dict(defaults)
        self.state: list[dict] = [{} for _ in pairs]

    def zero_grad(self) -> None:
        """Set every gradient to 0 (layers overwrite gradients in backward, so this is
        only needed when a user accumulates gradients by hand)."""
        for g in self.grad_arrays:
            g[...] = 0

    def __getattr__(self, name):
        defaults = self.__dict__.get("defaults", {})
        if name in defaults:
            return defaults[name]
        raise AttributeError(name)

    def state_dict(self) -> dict:
        """{'state': {index: {name: array or number}}, 'param_groups': [hyper-parameters]}."""
        state = {i: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for i, s in enumerate(self.state) if s}
        return {"state": state, "param_groups": [dict(self.defaults)]}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict`` returned, checking counts and shapes."""
        name = type(self).__name__
        groups = state_dict.get("param_groups")
        if not groups or set(groups[0]) != set(self.defaults):
            raise ValueError(f"{name}.load_state_dict: expected hyper-parameters "
                             f"{sorted(self.defaults)}, got {groups}")
        new_state: list[dict] = [{} for _ in self.params]
        for key, entry in state_dict.get("state", {}).items():
            i = int(key)
            if not 0 <= i < len(self.params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, but the "
                                 f"optimizer has {len(self.params)}")
            for k, v in entry.items():
                if isinstance(v, np.ndarray):
                    if v.shape != self.params[i].shape:
                        raise ValueError(f"{name}.load_state_dict: state '{k}' of parameter {i} "
                                         f"expected shape {self.params[i].shape}, got {v.shape}")
                    v = v.astype(self.params[i].dtype)
                new_state[i][k] = v
        self.defaults = dict(groups[0])
        self.state = new_state
