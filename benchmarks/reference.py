"""A plain-NumPy reference for every kernel and for both preset models.

Written to be read, not to be fast: convolution is im2col + one matrix product (so it
runs at BLAS speed, which makes it a fair "what NumPy alone gives you" baseline), the rest
is vectorised NumPy without Python loops over the batch. Everything is stride 1, and
``padding`` is one int used on all four sides ('same' for an odd kernel k is (k - 1) // 2).

The models work on plain dicts of arrays keyed like ``Sequential.state_dict()``
('0.weight', '3.running_mean', ...), so the same numbers load into MyTorch, PyTorch,
JAX and this file.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# --- convolution: im2col + matmul ------------------------------------------------------


def im2col(x: np.ndarray, kernel_hw: tuple[int, int], padding: int) -> np.ndarray:
    """(N, C, H, W) -> (N*OH*OW, C*KH*KW): one row per output pixel holding the patch the
    kernel sees there, in the (C, KH, KW) order of a flattened (OC, C, KH, KW) weight."""
    kh, kw = kernel_hw
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x_pad, (kh, kw), axis=(2, 3))  # (N, C, OH, OW, KH, KW)
    n, c, oh, ow = windows.shape[:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)


def col2im(cols: np.ndarray, input_shape: tuple[int, ...], kernel_hw: tuple[int, int],
           padding: int) -> np.ndarray:
    """The adjoint of im2col: add every patch row back onto the pixels it came from."""
    n, c, height, width = input_shape
    kh, kw = kernel_hw
    oh, ow = height + 2 * padding - kh + 1, width + 2 * padding - kw + 1
    patches = cols.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)  # N,C,KH,KW,OH,OW
    x_pad = np.zeros((n, c, height + 2 * padding, width + 2 * padding), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            x_pad[:, :, i:i + oh, j:j + ow] += patches[:, :, i, j]
    return x_pad[:, :, padding:padding + height, padding:padding + width]


def _rows_to_nchw(rows: np.ndarray, n: int, oh: int, ow: int) -> np.ndarray:
    """(N*OH*OW, OC) -> (N, OC, OH, OW)."""
    return np.ascontiguousarray(rows.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2))


def _nchw_to_rows(x: np.ndarray) -> np.ndarray:
    """(N, OC, OH, OW) -> (N*OH*OW, OC)."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray,
                   padding: int) -> np.ndarray:
    """out[n, o] = bias[o] + sum_c cross_correlate(x[n, c], weight[o, c])."""
    out_channels, _, kh, kw = weight.shape
    n, _, height, width = x.shape
    cols = im2col(x, (kh, kw), padding)
    rows = cols @ weight.reshape(out_channels, -1).T + bias
    return _rows_to_nchw(rows, n, height + 2 * padding - kh + 1, width + 2 * padding - kw + 1)


def conv2d_input_grad(grad_out: np.ndarray, weight: np.ndarray, input_shape: tuple[int, ...],
                      padding: int) -> np.ndarray:
    """dL/dx from dL/d(out): each output pixel's gradient times the weight, scattered back."""
    out_channels = weight.shape[0]
    grad_cols = _nchw_to_rows(grad_out) @ weight.reshape(out_channels, -1)
    return col2im(grad_cols, input_shape, weight.shape[2:], padding)


def conv2d_weight_grad(x: np.ndarray, grad_out: np.ndarray, weight_shape: tuple[int, ...],
                       padding: int) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dweight, dL/dbias): output gradients times the input patches, summed over
    the batch and the output pixels."""
    grad_rows = _nchw_to_rows(grad_out)
    cols = im2col(x, weight_shape[2:], padding)
    return (grad_rows.T @ cols).reshape(weight_shape), grad_rows.sum(axis=0)


# --- max pooling -------------------------------------------------------------------------


def _windows2x2(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H//2, W//2, 4): each 2x2 window in row-major order."""
    n, c, height, width = x.shape
    oh, ow = height // 2, width // 2
    x = x[:, :, :2 * oh, :2 * ow].reshape(n, c, oh, 2, ow, 2)
    return x.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, 4)


def maxpool2x2_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(max over each 2x2 window, index 0..3 of the first maximum: what backward needs)."""
    windows = _windows2x2(x)
    argmax = windows.argmax(axis=-1)
    return np.take_along_axis(windows, argmax[..., None], -1)[..., 0], argmax


def maxpool2x2_backward(grad_out: np.ndarray, argmax: np.ndarray,
                        input_shape: tuple[int, ...]) -> np.ndarray:
    """Route each window's gradient to the position that won the max."""
    n, c, height, width = input_shape
    oh, ow = grad_out.shape[2:]
    windows = np.zeros((n, c, oh, ow, 4), grad_out.dtype)
    np.put_along_axis(windows, argmax[..., None], grad_out[..., None], -1)
    grad_x = np.zeros(input_shape, grad_out.dtype)
    grad_x[:, :, :2 * oh, :2 * ow] = (windows.reshape(n, c, oh, ow, 2, 2)
                                      .transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * oh, 2 * ow))
    return grad_x


# --- batch normalisation (axis 1 is the channel; (N, C) or (N, C, H, W)) ----------------


def _bn_axes_and_shape(x: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes to reduce over and the shape that broadcasts a (C,) vector against x."""
    axes = (0,) + tuple(range(2, x.ndim))
    return axes, (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batchnorm_forward_train(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float):
    """Normalise with the biased batch statistics.
    Returns (out, x_hat, inv_std, batch_mean, batch_var)."""
    axes, shape = _bn_axes_and_shape(x)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
    return x_hat * weight.reshape(shape) + bias.reshape(shape), x_hat, inv_std, mean, var


def batchnorm_backward_train(grad_out: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray,
                             weight: np.ndarray):
    """Gradient through the batch statistics:
    dx = weight * inv_std / M * (M * g - sum(g) - x_hat * sum(g * x_hat)).
    Returns (grad_x, grad_weight, grad_bias)."""
    axes, shape = _bn_axes_and_shape(grad_out)
    count = grad_out.size // grad_out.shape[1]
    grad_bias = grad_out.sum(axis=axes)
    grad_weight = (grad_out * x_hat).sum(axis=axes)
    scale = (weight * inv_std / count).reshape(shape)
    grad_x = scale * (count * grad_out - grad_bias.reshape(shape)
                      - x_hat * grad_weight.reshape(shape))
    return grad_x, grad_weight, grad_bias


def batchnorm_forward_eval(x, weight, bias, running_mean, running_var, eps: float) -> np.ndarray:
    """y = weight * (x - running_mean) / sqrt(running_var + eps) + bias."""
    _, shape = _bn_axes_and_shape(x)
    scale = weight / np.sqrt(running_var + eps)
    return x * scale.reshape(shape) + (bias - running_mean * scale).reshape(shape)


def update_running_stats(running_mean, running_var, batch_mean, batch_var,
                         momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch, with the biased variance
    (the original MyCNN's rule), in place."""
    running_mean *= 1.0 - momentum
    running_mean += momentum * batch_mean
    running_var *= 1.0 - momentum
    running_var += momentum * batch_var


# --- dense, relu, loss ---------------------------------------------------------------------


def dense_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """y = x @ weight.T + bias, weight stored (out, in)."""
    return x @ weight.T + bias


def dense_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray,
                   input_grad: bool = True):
    """(grad_x or None, grad_weight, grad_bias)."""
    grad_x = grad_out @ weight if input_grad else None
    return grad_x, grad_out.T @ x, grad_out.sum(axis=0)


def relu_forward(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def relu_backward(grad_out: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Pass the gradient where the output was positive (0 at exactly 0, as PyTorch)."""
    return np.where(out > 0, grad_out, 0)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray, reduction: str = "sum"):
    """(loss, dL/dlogits) of -log softmax(logits)[label], summed or averaged over rows."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_sum
    rows = np.arange(len(labels))
    scale = 1.0 if reduction == "sum" else 1.0 / len(labels)
    loss = -log_probs[rows, labels].sum() * scale
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1.0
    return float(loss), (grad * scale).astype(logits.dtype)


# --- optimizers (in place on lists of arrays) ---------------------------------------------


def sgd_step(params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
    """p -= lr * g."""
    for p, g in zip(params, grads):
        p -= lr * g


def adam_step(params: list[np.ndarray], grads: list[np.ndarray], state: dict, lr: float = 1e-3,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
    """torch.optim.Adam's update: m, v moving averages of g and g^2, then
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""
    beta1, beta2 = betas
    if not state:
        state.update(step=0, m=[np.zeros_like(p) for p in params],
                     v=[np.zeros_like(p) for p in params])
    state["step"] += 1
    t = state["step"]
    step_size = lr / (1.0 - beta1 ** t)
    sqrt_bias2 = math.sqrt(1.0 - beta2 ** t)  # a Python float keeps the arrays float32
    for p, g, m, v in zip(params, grads, state["m"], state["v"]):
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g * g
        p -= step_size * m / (np.sqrt(v) / sqrt_bias2 + eps)


# --- the two preset models -----------------------------------------------------------------
# Keys are those of the MyTorch Sequential's state_dict: the number is the layer's position.
# MyCNN: 0 Conv2D(1,8) 1 ReLU 2 MaxPool 3 BatchNorm(8) 4 Conv2D(8,16) 5 ReLU 6 MaxPool
#        7 BatchNorm(16) 8 Flatten 9 Dense(784,128) 10 ReLU 11 BatchNorm(128) 12 Dense(128,10)
# MyMLP: 0 Dense(784,75) 1 ReLU 2 Dense(75,25) 3 ReLU 4 Dense(25,10)

CNN_BN_EPS = 1e-3
CNN_BN_MOMENTUM = 0.1
CNN_PADDING = 2  # 'same' for the 5x5 kernels


def trainable_keys(params: dict) -> list[str]:
    """Weights and biases, without BatchNorm's running statistics, in state_dict order."""
    return [k for k in params if k.endswith((".weight", ".bias"))]


def _bn_forward(h, params, key, training):
    if not training:
        return batchnorm_forward_eval(h, params[f"{key}.weight"], params[f"{key}.bias"],
                                      params[f"{key}.running_mean"],
                                      params[f"{key}.running_var"], CNN_BN_EPS), None
    out, x_hat, inv_std, mean, var = batchnorm_forward_train(
        h, params[f"{key}.weight"], params[f"{key}.bias"], CNN_BN_EPS)
    return out, (x_hat, inv_std, mean, var)


def _conv_block_forward(h, params, conv, bn, training):
    """Conv2D 5x5 'same' -> ReLU -> MaxPool 2x2 -> BatchNorm."""
    activation = relu_forward(conv2d_forward(h, params[f"{conv}.weight"], params[f"{conv}.bias"],
                                             CNN_PADDING))
    pooled, argmax = maxpool2x2_forward(activation)
    out, bn_cache = _bn_forward(pooled, params, bn, training)
    return out, (h, activation, argmax, bn_cache)


def _conv_block_backward(grad, params, conv, bn, cache, grads, input_grad):
    h, activation, argmax, (x_hat, inv_std, _, _) = cache
    grad, grads[f"{bn}.weight"], grads[f"{bn}.bias"] = batchnorm_backward_train(
        grad, x_hat, inv_std, params[f"{bn}.weight"])
    grad = relu_backward(maxpool2x2_backward(grad, argmax, activation.shape), activation)
    weight = params[f"{conv}.weight"]
    grads[f"{conv}.weight"], grads[f"{conv}.bias"] = conv2d_weight_grad(h, grad, weight.shape,
                                                                        CNN_PADDING)
    return conv2d_input_grad(grad, weight, h.shape, CNN_PADDING) if input_grad else None


def cnn_forward(params: dict, x: np.ndarray, training: bool):
    """MyCNN logits and, for cnn_backward, a cache (which includes each BatchNorm's batch
    statistics in training mode). Running statistics are read, never written, here."""
    h, block1 = _conv_block_forward(x, params, "0", "3", training)
    h, block2 = _conv_block_forward(h, params, "4", "7", training)
    flat = h.reshape(len(h), -1)
    hidden = relu_forward(dense_forward(flat, params["9.weight"], params["9.bias"]))
    normed, bn3 = _bn_forward(hidden, params, "11", training)
    logits = dense_forward(normed, params["12.weight"], params["12.bias"])
    return logits, (block1, block2, h.shape, flat, hidden, bn3, normed)


def cnn_backward(params: dict, cache, grad_logits: np.ndarray) -> dict:
    """Gradients of every weight and bias. The input gradient of the first convolution is
    not computed: nothing needs it (PyTorch and JAX skip it too)."""
    block1, block2, pooled_shape, flat, hidden, bn3, normed = cache
    grads: dict[str, np.ndarray] = {}
    grad, grads["12.weight"], grads["12.bias"] = dense_backward(grad_logits, normed,
                                                                params["12.weight"])
    grad, grads["11.weight"], grads["11.bias"] = batchnorm_backward_train(
        grad, bn3[0], bn3[1], params["11.weight"])
    grad = relu_backward(grad, hidden)
    grad, grads["9.weight"], grads["9.bias"] = dense_backward(grad, flat, params["9.weight"])
    grad = grad.reshape(pooled_shape)
    grad = _conv_block_backward(grad, params, "4", "7", block2, grads, input_grad=True)
    _conv_block_backward(grad, params, "0", "3", block1, grads, input_grad=False)
    return grads


def cnn_train_step(params: dict, x: np.ndarray, labels: np.ndarray, lr: float = 0.005) -> float:
    """One MyCNN step in place: forward, summed cross-entropy, backward, running
    statistics, plain SGD. Returns the loss."""
    logits, cache = cnn_forward(params, x, training=True)
    loss, grad_logits = softmax_cross_entropy(logits, labels, reduction="sum")
    grads = cnn_backward(params, cache, grad_logits)
    for key, stats in (("3", cache[0][3]), ("7", cache[1][3]), ("11", cache[5])):
        update_running_stats(params[f"{key}.running_mean"], params[f"{key}.running_var"],
                             stats[2], stats[3], CNN_BN_MOMENTUM)
    keys = trainable_keys(params)
    sgd_step([params[k] for k in keys], [grads[k] for k in keys], lr)
    return loss


def cnn_predict(params: dict, x: np.ndarray) -> np.ndarray:
    """MyCNN logits in inference mode (running statistics)."""
    return cnn_forward(params, x, training=False)[0]


_MLP_DENSES = ("0", "2", "4")


def mlp_forward(params: dict, x: np.ndarray):
    """MyMLP logits and the activations cache for mlp_backward."""
    inputs = []
    h = x
    for i, key in enumerate(_MLP_DENSES):
        inputs.append(h)
        h = dense_forward(h, params[f"{key}.weight"], params[f"{key}.bias"])
        if i < len(_MLP_DENSES) - 1:
            h = relu_forward(h)
    return h, inputs


def mlp_backward(params: dict, inputs: list, grad_logits: np.ndarray) -> dict:
    """Gradients of every weight and bias (no gradient for the input images)."""
    grads: dict[str, np.ndarray] = {}
    grad = grad_logits
    for i in reversed(range(len(_MLP_DENSES))):
        key = _MLP_DENSES[i]
        grad, grads[f"{key}.weight"], grads[f"{key}.bias"] = dense_backward(
            grad, inputs[i], params[f"{key}.weight"], input_grad=i > 0)
        if i > 0:
            grad = relu_backward(grad, inputs[i])  # inputs[i] is the previous ReLU's output
    return grads


def mlp_train_step(params: dict, adam_state: dict, x: np.ndarray, labels: np.ndarray,
                   lr: float = 1e-3) -> float:
    """One MyMLP step in place: forward, summed cross-entropy, backward, Adam."""
    logits, inputs = mlp_forward(params, x)
    loss, grad_logits = softmax_cross_entropy(logits, labels, reduction="sum")
    grads = mlp_backward(params, inputs, grad_logits)
    keys = trainable_keys(params)
    adam_step([params[k] for k in keys], [grads[k] for k in keys], adam_state, lr)
    return loss


def mlp_predict(params: dict, x: np.ndarray) -> np.ndarray:
    return mlp_forward(params, x)[0]
