"""The two preset architectures (SEED_MODELS.md) for every library in the benchmark:

* MyTorch: ``build_mycnn`` / ``build_mymlp`` give a ``mytorch.Sequential`` with the
  original's initialisation (a later ``mytorch.presets`` may replace these).
* PyTorch: ``torch_mycnn`` / ``torch_mymlp`` build the twin ``torch.nn.Sequential`` and
  copy a MyTorch model's weights into it (same layer positions, so the same keys).
* JAX: pure functions on a dict of arrays with those same keys; ``jax_*_train_step``
  are whole training steps meant to go under one ``jax.jit``.
* NumPy: ``benchmarks.reference`` works on that dict of arrays directly.

Plus the analytic FLOP counts the benchmarks report.
"""
from __future__ import annotations

import math

import numpy as np

import mytorch
from mytorch import BatchNorm, Conv2D, Dense, Flatten, MaxPool2x2, ReLU, Sequential

from .reference import CNN_BN_EPS, CNN_BN_MOMENTUM, CNN_PADDING

try:
    import torch
except ImportError:  # the torch cases skip
    torch = None
try:
    import jax
    import jax.numpy as jnp
except ImportError:  # the jax cases skip
    jax = jnp = None

CNN_LR = 0.005
MLP_LR = 1e-3

# --- MyTorch ------------------------------------------------------------------------------


def build_mycnn(seed: int = 0) -> Sequential:
    """MyCNN with the original's Glorot-uniform fans, zero biases, BN eps 1e-3 and the
    biased running variance."""
    rng = np.random.default_rng(seed)

    def bn(channels: int) -> BatchNorm:
        return BatchNorm(channels, eps=CNN_BN_EPS, momentum=CNN_BN_MOMENTUM,
                         unbiased_running_var=False)

    model = Sequential(
        Conv2D(1, 8, 5, padding="same"), ReLU(), MaxPool2x2(), bn(8),
        Conv2D(8, 16, 5, padding="same"), ReLU(), MaxPool2x2(), bn(16),
        Flatten(), Dense(784, 128), ReLU(), bn(128), Dense(128, 10),
    )
    fans = {0: (25, 8), 4: (8 * 25, 16), 9: (784, 128), 12: (128, 10)}
    for index, (fan_in, fan_out) in fans.items():
        layer = model[index]
        mytorch.init.glorot_uniform_(layer.params["weight"], fan_in, fan_out, rng=rng)
        layer.params["bias"][...] = 0
    return model


def build_mymlp(seed: int = 0) -> Sequential:
    """MyMLP with the original's normal initialisation and zero biases."""
    rng = np.random.default_rng(seed)
    model = Sequential(Dense(784, 75), ReLU(), Dense(75, 25), ReLU(), Dense(25, 10))
    for index, std in {0: math.sqrt(1 / 784), 2: math.sqrt(2 / 75), 4: math.sqrt(2 / 25)}.items():
        mytorch.init.normal_(model[index].params["weight"], std, rng=rng)
        model[index].params["bias"][...] = 0
    return model


def set_running_stats(model: Sequential, x: np.ndarray) -> Sequential:
    """Give every BatchNorm the statistics of its input on x, as a trained model would
    have (fresh ones, mean 0 and variance 1, would make inference numbers meaningless)."""
    h = x
    for layer in model:
        if isinstance(layer, BatchNorm):
            axes = (0,) if h.ndim == 2 else (0, 2, 3)
            layer.buffers["running_mean"][...] = h.mean(axis=axes)
            layer.buffers["running_var"][...] = h.var(axis=axes)
        h = layer.forward(h, training=False)
    return model


def numpy_params(model: Sequential) -> dict[str, np.ndarray]:
    """The weights and buffers as fresh arrays: what reference.py and JAX work on."""
    return model.state_dict()


# --- PyTorch ------------------------------------------------------------------------------


def _load_into_torch(twin, model: Sequential):
    state = {key: torch.from_numpy(value.copy()) for key, value in model.state_dict().items()}
    missing, unexpected = twin.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), \
        (missing, unexpected)
    return twin


def torch_mycnn(model: Sequential):
    """The PyTorch twin of a MyCNN with its weights. PyTorch always stores the unbiased
    running variance; that only changes running_var, never a training step's output."""
    nn = torch.nn
    twin = nn.Sequential(
        nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.BatchNorm2d(8, eps=CNN_BN_EPS, momentum=CNN_BN_MOMENTUM),
        nn.Conv2d(8, 16, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.BatchNorm2d(16, eps=CNN_BN_EPS, momentum=CNN_BN_MOMENTUM),
        nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
        nn.BatchNorm1d(128, eps=CNN_BN_EPS, momentum=CNN_BN_MOMENTUM), nn.Linear(128, 10),
    )
    return _load_into_torch(twin, model)


def torch_mymlp(model: Sequential):
    """The PyTorch twin of a MyMLP with its weights."""
    nn = torch.nn
    twin = nn.Sequential(nn.Linear(784, 75), nn.ReLU(), nn.Linear(75, 25), nn.ReLU(),
                         nn.Linear(25, 10))
    return _load_into_torch(twin, model)


# --- JAX (pure functions; params is a dict keyed like the state_dict) ----------------------


def jax_conv2d(x, weight, bias, padding: int = CNN_PADDING):
    """NCHW cross-correlation, stride 1, symmetric zero padding."""
    out = jax.lax.conv_general_dilated(x, weight, (1, 1), [(padding, padding)] * 2,
                                       dimension_numbers=("NCHW", "OIHW", "NCHW"))
    return out + bias[None, :, None, None]


def jax_maxpool2x2(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def jax_batchnorm_train(x, weight, bias, eps: float = CNN_BN_EPS):
    """(out, batch_mean, biased batch_var), channel axis 1."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    x_hat = (x - mean.reshape(shape)) * jax.lax.rsqrt(var.reshape(shape) + eps)
    return x_hat * weight.reshape(shape) + bias.reshape(shape), mean, var


def jax_batchnorm_eval(x, weight, bias, running_mean, running_var, eps: float = CNN_BN_EPS):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    scale = weight * jax.lax.rsqrt(running_var + eps)
    return x * scale.reshape(shape) + (bias - running_mean * scale).reshape(shape)


def jax_dense(x, weight, bias):
    return x @ weight.T + bias


def jax_cross_entropy_sum(logits, labels):
    log_probs = jax.nn.log_softmax(logits, axis=1)
    return -jnp.take_along_axis(log_probs, labels[:, None], axis=1).sum()


def jax_cnn_forward(params: dict, x, training: bool):
    """MyCNN logits and, in training mode, {bn key: (batch_mean, batch_var)}."""
    stats = {}

    def bn(h, key):
        w, b = params[f"{key}.weight"], params[f"{key}.bias"]
        if not training:
            return jax_batchnorm_eval(h, w, b, params[f"{key}.running_mean"],
                                      params[f"{key}.running_var"])
        out, mean, var = jax_batchnorm_train(h, w, b)
        stats[key] = (mean, var)
        return out

    h = x
    for conv, norm in (("0", "3"), ("4", "7")):
        h = jax.nn.relu(jax_conv2d(h, params[f"{conv}.weight"], params[f"{conv}.bias"]))
        h = bn(jax_maxpool2x2(h), norm)
    h = jax.nn.relu(jax_dense(h.reshape(h.shape[0], -1), params["9.weight"], params["9.bias"]))
    h = bn(h, "11")
    return jax_dense(h, params["12.weight"], params["12.bias"]), stats


def _split(params: dict) -> tuple[dict, dict]:
    trainable = {k: v for k, v in params.items() if k.endswith((".weight", ".bias"))}
    return trainable, {k: v for k, v in params.items() if k not in trainable}


def jax_cnn_train_step(params: dict, x, labels, lr: float = CNN_LR):
    """(new params, loss): forward, summed cross-entropy, gradients, running statistics,
    SGD. Meant for ``jax.jit(jax_cnn_train_step)``."""
    trainable, buffers = _split(params)

    def loss_fn(trainable):
        logits, stats = jax_cnn_forward({**trainable, **buffers}, x, training=True)
        return jax_cross_entropy_sum(logits, labels), stats

    (loss, stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
    new = {k: v - lr * grads[k] for k, v in trainable.items()}
    for key, (mean, var) in stats.items():
        m = CNN_BN_MOMENTUM
        new[f"{key}.running_mean"] = (1 - m) * buffers[f"{key}.running_mean"] + m * mean
        new[f"{key}.running_var"] = (1 - m) * buffers[f"{key}.running_var"] + m * var
    return {k: new[k] for k in params}, loss


def jax_cnn_predict(params: dict, x):
    return jax_cnn_forward(params, x, training=False)[0]


def jax_mlp_predict(params: dict, x):
    h = x
    for key in ("0", "2"):
        h = jax.nn.relu(jax_dense(h, params[f"{key}.weight"], params[f"{key}.bias"]))
    return jax_dense(h, params["4.weight"], params["4.bias"])


def jax_adam(params: dict, grads: dict, state: dict, lr: float = MLP_LR,
             betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
    """torch.optim.Adam's update on dicts of arrays; state = {'step', 'm', 'v'}.
    Returns (new params, new state)."""
    beta1, beta2 = betas
    step = state["step"] + 1
    m = {k: beta1 * state["m"][k] + (1 - beta1) * g for k, g in grads.items()}
    v = {k: beta2 * state["v"][k] + (1 - beta2) * g * g for k, g in grads.items()}
    step_size = lr / (1 - beta1 ** step)
    sqrt_bias2 = jnp.sqrt(1 - beta2 ** step)
    new = {k: p - step_size * m[k] / (jnp.sqrt(v[k]) / sqrt_bias2 + eps)
           for k, p in params.items()}
    return new, {"step": step, "m": m, "v": v}


def jax_adam_init(params: dict) -> dict:
    zeros = {k: jnp.zeros_like(v) for k, v in params.items()}
    return {"step": jnp.zeros((), jnp.float32), "m": zeros, "v": dict(zeros)}


def jax_mlp_train_step(params: dict, adam_state: dict, x, labels, lr: float = MLP_LR):
    """(new params, new Adam state, loss) for MyMLP; meant for ``jax.jit``."""
    def loss_fn(params):
        return jax_cross_entropy_sum(jax_mlp_predict(params, x), labels)

    loss, grads = jax.value_and_grad(loss_fn)(params)
    params, adam_state = jax_adam(params, grads, adam_state, lr)
    return params, adam_state, loss


# --- FLOP counts ----------------------------------------------------------------------------


def conv_flops(batch: int, in_channels: int, out_channels: int, kernel: int,
               out_hw: int) -> int:
    """Multiply-adds x 2 of one convolution (forward; the input gradient and the weight
    gradient cost the same each)."""
    return 2 * batch * out_channels * in_channels * kernel * kernel * out_hw * out_hw


def cnn_flops(batch: int, training: bool) -> int:
    """Convolutions and matrix products of MyCNN (element-wise work is ignored). Training
    = forward + both gradients of every layer except the first convolution's input
    gradient, which nothing needs: 1.77 + 3.23 = 5.0 MFLOP per sample (SEED_MODELS.md)."""
    conv1, conv2 = conv_flops(1, 1, 8, 5, 28), conv_flops(1, 8, 16, 5, 14)
    dense1, dense2 = 2 * 784 * 128, 2 * 128 * 10
    forward = conv1 + conv2 + dense1 + dense2
    backward = conv1 + 2 * (conv2 + dense1 + dense2)
    return batch * (forward + backward if training else forward)


def mlp_flops(batch: int, training: bool) -> int:
    """Matrix products of MyMLP; training skips the input gradient of the first layer."""
    sizes = [(784, 75), (75, 25), (25, 10)]
    forward = sum(2 * a * b for a, b in sizes)
    backward = 2 * forward - 2 * 784 * 75
    return batch * (forward + backward if training else forward)
