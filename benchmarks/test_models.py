"""Whole-model benchmarks of the two presets (SEED_MODELS.md), same weights everywhere:

* MyCNN training step: batch 32, CrossEntropyLoss(reduction="sum"), SGD lr 0.005;
* MyMLP training step: batch 16, summed cross-entropy, Adam lr 1e-3 (PyTorch's form:
  the original's "eps_hat" variant costs the same);
* inference at batch 1000 for both: ``Sequential.predict`` for MyTorch (the eval-mode
  forward pass, run 256 samples at a time so that intermediates stay in cache), the
  twin's forward under ``torch.inference_mode()`` and the jitted JAX function.

A training step is forward, loss, backward, optimizer step, on the next of a few fixed
batches (so that hundreds of timed steps do not just memorise one batch). The check
compares the first step's loss and parameter changes with the oracle's.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import mytorch
from mytorch.training import train_step

from . import reference as ref
from .harness import F, Impl, jax, jnp, stateless, to_numpy, torch
from .models import (CNN_LR, MLP_LR, build_mycnn, build_mymlp, cnn_flops, jax_adam_init,
                     jax_cnn_predict, jax_cnn_train_step, jax_mlp_predict, jax_mlp_train_step,
                     mlp_flops, numpy_params, set_running_stats, torch_mycnn, torch_mymlp)


N_BATCHES = 8
INFERENCE_BATCH = 1000


def _cnn_images(rng, n: int) -> np.ndarray:
    """Raw pixel values 0..255, as MyCNN was trained on."""
    return rng.integers(0, 256, (n, 1, 28, 28)).astype(np.float32)


def _mlp_images(rng, n: int) -> np.ndarray:
    """Pixels / 255, flattened, as MyMLP was trained on."""
    return (rng.integers(0, 256, (n, 784)) / 255).astype(np.float32)


def _batches(images, batch: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(images(rng, batch), rng.integers(0, 10, batch)) for _ in range(N_BATCHES)]


def _train_impl(lib: str, build_model, torch_twin, jax_step, numpy_step, optimizer: str,
                batches) -> Impl:
    """One library's training step; snapshot = last loss, change of every trainable
    parameter and the running means (PyTorch keeps an unbiased running_var, so that one
    is left out)."""
    model = build_model(0)
    initial = numpy_params(model)
    compared = [k for k in initial if not k.endswith("running_var")]
    last: dict = {}

    def snapshot_from(params: dict) -> dict:
        out = {"loss": np.float64(to_numpy(last["loss"]))}
        out.update({k: to_numpy(params[k]) - initial[k] for k in compared})
        return out

    if lib == "mytorch":
        criterion = mytorch.CrossEntropyLoss(reduction="sum")
        opt = (mytorch.SGD(model.parameters(), lr=CNN_LR) if optimizer == "sgd"
               else mytorch.Adam(model.parameters(), lr=MLP_LR))
        data = itertools.cycle(batches)

        def run():
            x, y = next(data)
            last["loss"], _ = train_step(model, criterion, opt, x, y)
        return Impl(run, lambda: snapshot_from(model.state_dict()))
    if lib == "torch":
        twin = torch_twin(model).train()
        opt = (torch.optim.SGD(twin.parameters(), lr=CNN_LR) if optimizer == "sgd"
               else torch.optim.Adam(twin.parameters(), lr=MLP_LR))
        data = itertools.cycle([(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches])

        def run():
            x, y = next(data)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(twin(x), y, reduction="sum")
            loss.backward()
            opt.step()
            last["loss"] = loss.detach()
        return Impl(run, lambda: snapshot_from(twin.state_dict()))
    if lib == "jax":
        data = itertools.cycle([(jnp.asarray(x), jnp.asarray(y)) for x, y in batches])
        state = {"params": {k: jnp.asarray(v) for k, v in initial.items()}}
        step = jax.jit(jax_step)
        if optimizer == "sgd":
            def run():
                x, y = next(data)
                state["params"], last["loss"] = jax.block_until_ready(
                    step(state["params"], x, y))
        else:
            state["adam"] = jax_adam_init(state["params"])

            def run():
                x, y = next(data)
                state["params"], state["adam"], last["loss"] = jax.block_until_ready(
                    step(state["params"], state["adam"], x, y))
        return Impl(run, lambda: snapshot_from(state["params"]))
    params = numpy_params(model)
    adam_state: dict = {}
    data = itertools.cycle(batches)

    def run():
        x, y = next(data)
        last["loss"] = (numpy_step(params, x, y) if optimizer == "sgd"
                        else numpy_step(params, adam_state, x, y))
    return Impl(run, lambda: snapshot_from(params))


def test_mycnn_train_step(bench):
    batches = _batches(_cnn_images, 32, seed=23)
    bench.measure(
        "MyCNN training step: batch 32, SGD",
        lambda lib: _train_impl(lib, build_mycnn, torch_mycnn, jax_cnn_train_step,
                                ref.cnn_train_step, "sgd", batches),
        flops=cnn_flops(32, training=True), rtol=2e-3, vs_matmul_peak=True)


def test_mymlp_train_step(bench):
    batches = _batches(_mlp_images, 16, seed=29)
    bench.measure(
        "MyMLP training step: batch 16, Adam",
        lambda lib: _train_impl(lib, build_mymlp, torch_mymlp, jax_mlp_train_step,
                                ref.mlp_train_step, "adam", batches),
        flops=mlp_flops(16, training=True), rtol=2e-3, vs_matmul_peak=True)


def _inference_impl(lib: str, model, torch_twin, jax_predict, numpy_predict, x) -> Impl:
    if lib == "mytorch":
        model.eval()  # MyTorch's inference call: eval-mode forward in cache-sized chunks
        return stateless(lambda: (model.predict(x),), ("logits",))
    if lib == "torch":
        twin = torch_twin(model).eval()
        xt = torch.from_numpy(x)

        def fn():
            with torch.inference_mode():
                return (twin(xt),)
        return stateless(fn, ("logits",))
    if lib == "jax":
        f = jax.jit(jax_predict)
        params = {k: jnp.asarray(v) for k, v in numpy_params(model).items()}
        xj = jnp.asarray(x)
        return stateless(lambda: (f(params, xj),), ("logits",), block=True)
    params = numpy_params(model)
    return stateless(lambda: (numpy_predict(params, x),), ("logits",))


@pytest.mark.parametrize("preset", ["MyCNN", "MyMLP"])
def test_inference(bench, preset):
    rng = np.random.default_rng(31)
    if preset == "MyCNN":
        x = _cnn_images(rng, INFERENCE_BATCH)
        model = set_running_stats(build_mycnn(0), x[:256])
        parts = (torch_mycnn, jax_cnn_predict, ref.cnn_predict)
        flops = cnn_flops(INFERENCE_BATCH, training=False)
    else:
        x = _mlp_images(rng, INFERENCE_BATCH)
        model = build_mymlp(0)
        parts = (torch_mymlp, jax_mlp_predict, ref.mlp_predict)
        flops = mlp_flops(INFERENCE_BATCH, training=False)
    bench.measure(f"{preset} inference: batch {INFERENCE_BATCH}",
                  lambda lib: _inference_impl(lib, model, *parts, x),
                  flops=flops, vs_matmul_peak=True)
