"""SGD and Adam step for step against torch.optim (float64, 50 steps on one sequence of
random gradients), the eps_hat Adam against a NumPy reference, and state_dict round trips."""
from __future__ import annotations

import numpy as np
import pytest

import mytorch as mt

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 3, 2, 2)]
STEPS = 50


def initial_params(rng) -> list[np.ndarray]:
    return [rng.standard_normal(shape) for shape in SHAPES]


def gradient_sequence(rng, steps: int = STEPS) -> list[list[np.ndarray]]:
    return [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(steps)]


def run_ours(make, params, grads_seq, optimizer=None):
    """Run our optimizer (a new one from ``make`` unless given) over grads_seq; ``params``
    are updated in place."""
    optimizer = optimizer or make([(p, np.zeros_like(p)) for p in params])
    assert all(a is b for a, b in zip(optimizer.params, params))
    for step_grads in grads_seq:
        for grad, value in zip(optimizer.grad_arrays, step_grads):
            grad[...] = value
        optimizer.step()
    return optimizer


def run_torch(make, params, grads_seq) -> list[np.ndarray]:
    tensors = [torch.tensor(p, requires_grad=True) for p in params]
    optimizer = make(tensors)
    for step_grads in grads_seq:
        for tensor, value in zip(tensors, step_grads):
            tensor.grad = torch.from_numpy(value.copy())
        optimizer.step()
    return [t.detach().numpy() for t in tensors]


def assert_params_close(ours, theirs) -> None:
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype == np.float64
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.abs(b).max(),
                                   err_msg=f"parameter {i}")


SGD_CONFIGS = {
    "plain": dict(lr=0.1),
    "momentum": dict(lr=0.05, momentum=0.9),
    "dampening": dict(lr=0.05, momentum=0.8, dampening=0.3),
    "weight_decay": dict(lr=0.05, momentum=0.9, weight_decay=0.01),
    "nesterov": dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001),
}
ADAM_CONFIGS = {
    "default": dict(lr=1e-2),
    "weight_decay": dict(lr=1e-2, weight_decay=0.05),
    "betas_eps": dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6),
}


TORCH_TWINS = {"SGD": (torch.optim.SGD, mt.SGD, SGD_CONFIGS),
               "Adam": (torch.optim.Adam, mt.Adam, ADAM_CONFIGS)}


@pytest.mark.parametrize("name, config", [(name, config) for name, (_, _, configs)
                                          in TORCH_TWINS.items() for config in sorted(configs)])
def test_optimizer_matches_torch(name, config, rng):
    torch_cls, our_cls, configs = TORCH_TWINS[name]
    kwargs = configs[config]
    params, grads_seq = initial_params(rng), gradient_sequence(rng)
    expected = run_torch(lambda p: torch_cls(p, **kwargs), params, grads_seq)
    ours = [p.copy() for p in params]
    run_ours(lambda p: our_cls(p, **kwargs), ours, grads_seq)
    assert_params_close(ours, expected)


def adam_eps_hat_reference(params, grads_seq, lr, beta1, beta2, eps, weight_decay):
    """The Adam paper's efficient form (section 2), written out in NumPy."""
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, step_grads in enumerate(grads_seq, start=1):
        alpha = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        for i, g in enumerate(step_grads):
            g = g + weight_decay * params[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            params[i] -= alpha * m[i] / (np.sqrt(v[i]) + eps)
    return params


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_adam_eps_hat_matches_the_paper(weight_decay, rng):
    params, grads_seq = initial_params(rng), gradient_sequence(rng)
    # a large eps makes the two forms visibly different
    kwargs = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-3, weight_decay=weight_decay)
    expected = adam_eps_hat_reference(params, grads_seq, 1e-2, 0.9, 0.999, 1e-3, weight_decay)
    ours = [p.copy() for p in params]
    run_ours(lambda p: mt.Adam(p, eps_hat=True, **kwargs), ours, grads_seq)
    assert_params_close(ours, expected)
    torch_form = [p.copy() for p in params]
    run_ours(lambda p: mt.Adam(p, **kwargs), torch_form, grads_seq)
    assert not np.allclose(torch_form[0], ours[0], rtol=1e-6)


OPTIMIZERS = {
    "sgd_momentum": lambda p, lr=0.05: mt.SGD(p, lr=lr, momentum=0.9, dampening=0.1),
    "sgd_nesterov": lambda p, lr=0.05: mt.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adam": lambda p, lr=1e-2: mt.Adam(p, lr=lr, weight_decay=0.01),
    "adam_eps_hat": lambda p, lr=1e-2: mt.Adam(p, lr=lr, eps_hat=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_dict_round_trip_continues_exactly(name, rng):
    make = OPTIMIZERS[name]
    params, grads_seq = initial_params(rng), gradient_sequence(rng, 20)

    uninterrupted = [p.copy() for p in params]
    run_ours(make, uninterrupted, grads_seq)

    interrupted = [p.copy() for p in params]
    optimizer = run_ours(make, interrupted, grads_seq[:10])
    saved = optimizer.state_dict()
    resumed = [p.copy() for p in interrupted]  # a restored checkpoint has new arrays
    run_ours(make, interrupted, grads_seq[10:12], optimizer)  # must not leak into `saved`

    fresh = make(list(zip(resumed, [np.zeros_like(p) for p in resumed])), lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.lr == optimizer.lr  # hyper-parameters come from the checkpoint
    run_ours(make, resumed, grads_seq[10:], fresh)
    for a, b in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(a, b)


def test_load_state_dict_rejects_wrong_shape(rng):
    params = initial_params(rng)
    optimizer = run_ours(lambda p: mt.Adam(p), [p.copy() for p in params],
                         gradient_sequence(rng, 2))
    saved = optimizer.state_dict()
    saved["state"][1]["exp_avg"] = np.zeros(7)
    fresh = mt.Adam(list(zip(params, [np.zeros_like(p) for p in params])))
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: state 'exp_avg' of parameter "
                                         r"1 expected shape \(5,\), got \(7,\)"):
        fresh.load_state_dict(saved)
