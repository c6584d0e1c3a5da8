"""Kernel benchmarks at MyCNN's shapes (batch 32, float32): convolution forward and
both gradients, max-pool, batch norm, dense, softmax cross-entropy, SGD and Adam steps.

Every test times one library (the ``lib`` fixture) after checking its result against the
NumPy reference (see harness.py). Inputs come from fixed seeds, so every library sees
the same numbers.
"""
from __future__ import annotations

import numpy as np
import pytest

import mytorch

from . import reference as ref
from .harness import F, Impl, jax, jnp, stateless, to_numpy, torch
from .models import (CNN_LR, MLP_LR, build_mycnn, conv_flops, jax_adam, jax_adam_init,
                     jax_batchnorm_train, jax_conv2d, jax_cross_entropy_sum, jax_maxpool2x2)


BATCH = 32
PAD = 2  # 'same' for 5x5


def _inputs(seed: int, **shapes) -> dict[str, np.ndarray]:
    """Standard-normal float32 arrays of the given shapes, from one seed."""
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape, dtype=np.float32) for name, shape in shapes.items()}


def _torch(arrays: dict) -> dict:
    return {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}


def _jax(arrays: dict) -> dict:
    return {k: jnp.asarray(v) for k, v in arrays.items()}


# --- convolution --------------------------------------------------------------------------

CONVS = {  # name: (in_channels, out_channels, height = width)
    "conv1 1->8 28x28": (1, 8, 28),
    "conv2 8->16 14x14": (8, 16, 14),
}

_CONV_NAMES = {"forward": ("out",), "input_grad": ("grad_x",),
               "weight_grad": ("grad_weight", "grad_bias")}
_CONV_TITLES = {"forward": "conv forward", "input_grad": "conv input gradient",
                "weight_grad": "conv weight gradient"}


def _conv_inputs(in_channels: int, out_channels: int, size: int) -> dict[str, np.ndarray]:
    a = _inputs(in_channels * 100 + out_channels, x=(BATCH, in_channels, size, size),
                weight=(out_channels, in_channels, 5, 5), bias=(out_channels,),
                grad_out=(BATCH, out_channels, size, size))
    a["weight"] *= 0.2
    return a


def _mytorch_conv_backward_halves(a: dict):
    """The two halves of Conv2D.backward, timed apart through the layer's own
    backward_input and backward_params (after one forward pass, as in training)."""
    out_channels, in_channels, kh, _ = a["weight"].shape
    conv = mytorch.Conv2D(in_channels, out_channels, kh, padding=PAD)
    conv.params["weight"][...] = a["weight"]
    conv.params["bias"][...] = a["bias"]
    conv.forward(a["x"])

    def input_grad():
        return (conv.backward_input(a["grad_out"]),)

    def weight_grad():
        conv.backward_params(a["grad_out"])
        return conv.grads["weight"], conv.grads["bias"]

    return input_grad, weight_grad


def _build_conv(kind: str, shape: tuple[int, int, int]):
    a = _conv_inputs(*shape)

    def build(lib: str) -> Impl:
        if lib == "mytorch":
            if kind == "forward":
                layer = mytorch.Conv2D(shape[0], shape[1], 5, padding="same")
                layer.params["weight"][...] = a["weight"]
                layer.params["bias"][...] = a["bias"]
                return stateless(lambda: (layer.forward(a["x"]),), ("out",))
            input_grad, weight_grad = _mytorch_conv_backward_halves(a)
            if kind == "input_grad":
                return stateless(input_grad, ("grad_x",))
            return stateless(weight_grad, ("grad_weight", "grad_bias"))
        if lib == "torch":
            t = _torch(a)
            if kind == "forward":
                def fn():
                    with torch.no_grad():
                        return (F.conv2d(t["x"], t["weight"], t["bias"], padding=PAD),)
            elif kind == "input_grad":
                def fn():
                    return (torch.nn.grad.conv2d_input(t["x"].shape, t["weight"], t["grad_out"],
                                                       padding=PAD),)
            else:
                def fn():
                    return (torch.nn.grad.conv2d_weight(t["x"], t["weight"].shape, t["grad_out"],
                                                        padding=PAD),
                            t["grad_out"].sum(dim=(0, 2, 3)))
            return stateless(fn, _CONV_NAMES[kind])
        if lib == "jax":
            j = _jax(a)
            if kind == "forward":
                f = jax.jit(jax_conv2d)
                return stateless(lambda: (f(j["x"], j["weight"], j["bias"]),), ("out",),
                                 block=True)
            if kind == "input_grad":
                f = jax.jit(lambda x, w, b, g: jax.vjp(lambda x: jax_conv2d(x, w, b), x)[1](g))
                return stateless(lambda: f(j["x"], j["weight"], j["bias"], j["grad_out"]),
                                 ("grad_x",), block=True)
            f = jax.jit(lambda x, w, b, g: jax.vjp(lambda w, b: jax_conv2d(x, w, b), w, b)[1](g))
            return stateless(lambda: f(j["x"], j["weight"], j["bias"], j["grad_out"]),
                             ("grad_weight", "grad_bias"), block=True)
        if kind == "forward":
            return stateless(lambda: (ref.conv2d_forward(a["x"], a["weight"], a["bias"], PAD),),
                             ("out",))
        if kind == "input_grad":
            return stateless(lambda: (ref.conv2d_input_grad(a["grad_out"], a["weight"],
                                                            a["x"].shape, PAD),), ("grad_x",))
        return stateless(lambda: ref.conv2d_weight_grad(a["x"], a["grad_out"], a["weight"].shape,
                                                        PAD), ("grad_weight", "grad_bias"))

    return build


@pytest.mark.parametrize("kind", list(_CONV_TITLES))
@pytest.mark.parametrize("conv", list(CONVS))
def test_conv(bench, conv, kind):
    in_channels, out_channels, size = CONVS[conv]
    bench.measure(f"{_CONV_TITLES[kind]}: {conv}", _build_conv(kind, CONVS[conv]),
                  flops=conv_flops(BATCH, in_channels, out_channels, 5, size),
                  vs_matmul_peak=True)


# --- max pooling --------------------------------------------------------------------------

POOLS = {"pool1 8x28x28": (BATCH, 8, 28, 28), "pool2 16x14x14": (BATCH, 16, 14, 14)}


@pytest.mark.parametrize("pool", list(POOLS))
def test_maxpool(bench, pool):
    shape = POOLS[pool]
    out_shape = shape[:2] + (shape[2] // 2, shape[3] // 2)
    a = _inputs(7, x=shape, grad_out=out_shape)
    names = ("out", "grad_x")

    def build(lib: str) -> Impl:
        if lib == "mytorch":
            layer = mytorch.MaxPool2x2()
            return stateless(lambda: (layer.forward(a["x"]), layer.backward(a["grad_out"])), names)
        if lib == "torch":
            t = _torch(a)
            x = t["x"].requires_grad_()

            def fn():
                out = F.max_pool2d(x, 2)
                return out.detach(), torch.autograd.grad(out, x, t["grad_out"])[0]
            return stateless(fn, names)
        if lib == "jax":
            j = _jax(a)

            @jax.jit
            def f(x, g):
                out, vjp = jax.vjp(jax_maxpool2x2, x)
                return out, vjp(g)[0]
            return stateless(lambda: f(j["x"], j["grad_out"]), names, block=True)

        def fn():
            out, argmax = ref.maxpool2x2_forward(a["x"])
            return out, ref.maxpool2x2_backward(a["grad_out"], argmax, a["x"].shape)
        return stateless(fn, names)

    # ~3 comparisons per output in forward; backward only moves data
    bench.measure(f"max-pool 2x2 fwd+bwd: {pool}", build, flops=3 * np.prod(out_shape))


# --- batch norm (training mode) -------------------------------------------------------------

BATCHNORMS = {"bn1 8x14x14": (BATCH, 8, 14, 14), "bn2 16x7x7": (BATCH, 16, 7, 7),
              "bn3 128": (BATCH, 128)}
BN_EPS = 1e-3


@pytest.mark.parametrize("norm", list(BATCHNORMS))
def test_batchnorm(bench, norm):
    shape = BATCHNORMS[norm]
    channels = shape[1]
    a = _inputs(11, x=shape, grad_out=shape, weight=(channels,), bias=(channels,))
    a["x"] = a["x"] * 3 + 1
    names = ("out", "grad_x", "grad_weight", "grad_bias", "running_mean", "running_var")

    def build(lib: str) -> Impl:
        running_mean = np.zeros(channels, np.float32)
        running_var = np.ones(channels, np.float32)
        if lib == "mytorch":
            layer = mytorch.BatchNorm(channels, eps=BN_EPS, unbiased_running_var=False)
            layer.params["weight"][...] = a["weight"]
            layer.params["bias"][...] = a["bias"]

            def fn():
                out = layer.forward(a["x"], training=True)
                grad_x = layer.backward(a["grad_out"])
                return (out, grad_x, layer.grads["weight"], layer.grads["bias"],
                        layer.buffers["running_mean"], layer.buffers["running_var"])
            return stateless(fn, names)
        if lib == "torch":
            t = _torch(a)
            x, w, b = (t[k].requires_grad_() for k in ("x", "weight", "bias"))
            rm, rv = torch.from_numpy(running_mean), torch.from_numpy(running_var)

            def fn():
                # PyTorch's running_var is unbiased: compared after undoing that below
                out = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1, eps=BN_EPS)
                return (out.detach(), *torch.autograd.grad(out, (x, w, b), t["grad_out"]), rm, rv)
            impl = stateless(fn, names)
            count = x.numel() // channels
            snapshot = impl.snapshot

            def biased_snapshot():
                s = snapshot()
                s["running_var"] = 0.9 + (s["running_var"] - 0.9) * (count - 1) / count
                return s
            return Impl(impl.run, biased_snapshot)
        if lib == "jax":
            j = _jax(a)

            @jax.jit
            def f(x, w, b, g, running_mean, running_var):
                (out, mean, var), vjp = jax.vjp(jax_batchnorm_train, x, w, b)
                zero = jnp.zeros_like(mean)
                grads = vjp((g, zero, zero))
                return (out, *grads, 0.9 * running_mean + 0.1 * mean,
                        0.9 * running_var + 0.1 * var)
            state = {"rm": jnp.asarray(running_mean), "rv": jnp.asarray(running_var)}

            def fn():
                out = f(j["x"], j["weight"], j["bias"], j["grad_out"], state["rm"], state["rv"])
                state["rm"], state["rv"] = out[4], out[5]
                return out
            return stateless(fn, names, block=True)

        def fn():
            out, x_hat, inv_std, mean, var = ref.batchnorm_forward_train(
                a["x"], a["weight"], a["bias"], BN_EPS)
            grads = ref.batchnorm_backward_train(a["grad_out"], x_hat, inv_std, a["weight"])
            ref.update_running_stats(running_mean, running_var, mean, var, 0.1)
            return (out, *grads, running_mean, running_var)
        return stateless(fn, names)

    # ~8 flops per element forward (mean, variance, normalise, scale), ~8 backward
    bench.measure(f"batch norm fwd+bwd (train): {norm}", build, flops=16 * np.prod(shape))


# --- dense ----------------------------------------------------------------------------------


def test_dense(bench):
    a = _inputs(13, x=(BATCH, 784), weight=(128, 784), bias=(128,), grad_out=(BATCH, 128))
    a["weight"] *= 0.05
    names = ("out", "grad_x", "grad_weight", "grad_bias")

    def build(lib: str) -> Impl:
        if lib == "mytorch":
            layer = mytorch.Dense(784, 128)
            layer.params["weight"][...] = a["weight"]
            layer.params["bias"][...] = a["bias"]

            def fn():
                out = layer.forward(a["x"])
                grad_x = layer.backward(a["grad_out"])
                return out, grad_x, layer.grads["weight"], layer.grads["bias"]
            return stateless(fn, names)
        if lib == "torch":
            t = _torch(a)
            x, w, b = (t[k].requires_grad_() for k in ("x", "weight", "bias"))

            def fn():
                out = F.linear(x, w, b)
                return (out.detach(), *torch.autograd.grad(out, (x, w, b), t["grad_out"]))
            return stateless(fn, names)
        if lib == "jax":
            j = _jax(a)

            @jax.jit
            def f(x, w, b, g):
                out, vjp = jax.vjp(lambda x, w, b: x @ w.T + b, x, w, b)
                return (out, *vjp(g))
            return stateless(lambda: f(j["x"], j["weight"], j["bias"], j["grad_out"]), names,
                             block=True)

        def fn():
            out = ref.dense_forward(a["x"], a["weight"], a["bias"])
            return (out, *ref.dense_backward(a["grad_out"], a["x"], a["weight"]))
        return stateless(fn, names)

    # forward, input gradient, weight gradient: one 32x784x128 product each
    bench.measure("dense fwd+bwd: 784->128", build, flops=3 * 2 * BATCH * 784 * 128,
                  vs_matmul_peak=True)


# --- softmax cross-entropy ------------------------------------------------------------------


def test_cross_entropy(bench):
    rng = np.random.default_rng(17)
    logits = (rng.standard_normal((BATCH, 10)) * 3).astype(np.float32)
    labels = rng.integers(0, 10, BATCH)
    names = ("loss", "grad_logits")

    def build(lib: str) -> Impl:
        if lib == "mytorch":
            criterion = mytorch.CrossEntropyLoss(reduction="sum")

            def fn():
                loss = criterion(logits, labels)
                return loss, criterion.backward()
            return stateless(fn, names)
        if lib == "torch":
            x = torch.from_numpy(logits.copy()).requires_grad_()
            y = torch.from_numpy(labels)

            def fn():
                loss = F.cross_entropy(x, y, reduction="sum")
                return loss.detach(), torch.autograd.grad(loss, x)[0]
            return stateless(fn, names)
        if lib == "jax":
            f = jax.jit(jax.value_and_grad(jax_cross_entropy_sum))
            x, y = jnp.asarray(logits), jnp.asarray(labels)
            return stateless(lambda: f(x, y), names, block=True)
        return stateless(lambda: ref.softmax_cross_entropy(logits, labels, "sum"), names)

    # ~5 per logit: max, subtract, exp, sum, scale
    bench.measure("softmax cross-entropy fwd+bwd: 32x10", build, flops=5 * logits.size)


# --- optimizer steps over the MyCNN parameter set ---------------------------------------------


def _cnn_parameter_set() -> tuple[list[np.ndarray], list[np.ndarray]]:
    params = [p.copy() for p, _ in build_mycnn(0).parameters()]
    rng = np.random.default_rng(19)
    grads = [rng.standard_normal(p.shape, dtype=np.float32) for p in params]
    return params, grads


def _optimizer_impl(lib: str, name: str) -> Impl:
    """Fresh parameters and one fixed set of gradients; snapshot = parameter change."""
    params, grads = _cnn_parameter_set()
    initial = [p.copy() for p in params]
    names = [f"delta{i}" for i in range(len(params))]

    def deltas(current) -> dict:
        return {n: to_numpy(p) - p0 for n, p, p0 in zip(names, current, initial)}

    if lib == "mytorch":
        pairs = list(zip(params, grads))
        opt = mytorch.SGD(pairs, lr=CNN_LR) if name == "sgd" else mytorch.Adam(pairs, lr=MLP_LR)
        return Impl(opt.step, lambda: deltas(params))
    if lib == "torch":
        tensors = [torch.from_numpy(p).requires_grad_() for p in params]
        for t, g in zip(tensors, grads):
            t.grad = torch.from_numpy(g)
        opt = (torch.optim.SGD(tensors, lr=CNN_LR) if name == "sgd"
               else torch.optim.Adam(tensors, lr=MLP_LR))
        return Impl(opt.step, lambda: deltas(tensors))
    if lib == "jax":
        keys = [str(i) for i in range(len(params))]
        jgrads = {k: jnp.asarray(g) for k, g in zip(keys, grads)}
        state = {"params": {k: jnp.asarray(p) for k, p in zip(keys, params)}}
        if name == "sgd":
            step = jax.jit(lambda ps, gs: {k: p - CNN_LR * gs[k] for k, p in ps.items()})

            def run():
                state["params"] = jax.block_until_ready(step(state["params"], jgrads))
        else:
            step = jax.jit(jax_adam)
            state["adam"] = jax_adam_init(state["params"])

            def run():
                state["params"], state["adam"] = jax.block_until_ready(
                    step(state["params"], jgrads, state["adam"]))
        return Impl(run, lambda: deltas([state["params"][k] for k in keys]))
    if name == "sgd":
        return Impl(lambda: ref.sgd_step(params, grads, CNN_LR), lambda: deltas(params))
    adam_state: dict = {}
    return Impl(lambda: ref.adam_step(params, grads, adam_state, MLP_LR), lambda: deltas(params))


OPTIMIZERS = {"sgd": ("SGD step", 2), "adam": ("Adam step", 12)}  # flops per parameter (approx.)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer(bench, name):
    title, per_param = OPTIMIZERS[name]
    size = sum(p.size for p in _cnn_parameter_set()[0])
    bench.measure(f"{title}: MyCNN parameters ({size:,})",
                  lambda lib: _optimizer_impl(lib, name), flops=per_param * size)
