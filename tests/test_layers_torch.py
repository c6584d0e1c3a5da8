"""Every layer, forward and backward, against torch.nn with identical weights.

Our parameters and buffers are copied into the torch module; both see the same input and
the same random upstream gradient (torch: ``out.backward(g)``). float64 must agree to
1e-10 relative, float32 to 1e-5 (see conftest.assert_close for the absolute floor).
"""
from __future__ import annotations

import numpy as np
import pytest

import mytorch as mt
from conftest import assert_close

torch = pytest.importorskip("torch")
nn = torch.nn

DTYPES = [np.float64, np.float32]

# torch warns that an even kernel with padding="same" costs it a padded copy; not our concern.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


def compare_with_torch(layer: mt.Layer, module, x: np.ndarray, training: bool,
                       rng: np.random.Generator) -> None:
    """Run ``layer`` and ``module`` (which gets our weights) forward and backward and
    compare output, input gradient, every parameter gradient and every buffer."""
    dtype = x.dtype
    module = module.to(torch.float64 if dtype == np.float64 else torch.float32)
    module.train(training)
    module.zero_grad(set_to_none=True)
    with torch.no_grad():
        for name, value in [*layer.params.items(), *layer.buffers.items()]:
            getattr(module, name).copy_(torch.from_numpy(value))

    out = layer.forward(x, training)
    grad_output = rng.standard_normal(out.shape).astype(dtype)
    grad_x = layer.backward(grad_output)

    x_t = torch.from_numpy(x.copy()).requires_grad_()
    out_t = module(x_t)
    out_t.backward(torch.from_numpy(grad_output))

    assert out.dtype == dtype and grad_x.dtype == dtype
    assert out.shape == tuple(out_t.shape) and grad_x.shape == x.shape
    assert_close(out, out_t, err_msg="output")
    assert_close(grad_x, x_t.grad, err_msg="input gradient")
    for name in layer.params:
        assert layer.grads[name].dtype == dtype
        assert_close(layer.grads[name], getattr(module, name).grad, err_msg=f"grad of {name}")
    for name, value in layer.buffers.items():
        assert_close(value, getattr(module, name), err_msg=f"buffer {name}")


# --- Dense ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, in_features, out_features",
                         [(1, 3, 1), (5, 16, 8), (4, 13, 11), (9, 70, 19), (40, 33, 70),
                          (70, 33, 40)])  # 64+ samples, short rows: forward by matmul_rows
def test_dense_matches_torch(dtype, n, in_features, out_features, rng):
    layer = mt.Dense(in_features, out_features, dtype=dtype, rng=rng)
    x = rng.standard_normal((n, in_features)).astype(dtype)
    compare_with_torch(layer, nn.Linear(in_features, out_features), x, True, rng)


# --- Conv2D --------------------------------------------------------------------------------
CONV_CASES = [
    # n, in, out, (h, w), kernel, stride, padding
    (1, 1, 8, (7, 9), 3, 1, 0),
    (2, 3, 16, (13, 11), 5, 1, "same"),
    (2, 8, 3, (9, 7), 3, 2, 1),
    (1, 16, 1, (13, 11), 5, 2, "valid"),
    (3, 3, 8, (7, 9), (3, 5), (2, 1), (2, 1)),
    (2, 3, 8, (7, 9), 4, 1, "same"),  # even kernel: the extra row/column goes bottom/right
    (2, 3, 8, (8, 10), 3, (3, 2), 0),  # strides that leave trailing rows/columns unused
    (1, 1, 3, (5, 6), 3, 1, 3),  # padding wider than half the kernel
    # 16 or more channels take correlate's wide path: partial blocks, strided, odd widths
    (2, 4, 20, (9, 10), 3, 2, 1),
    (2, 24, 17, (6, 8), 3, 1, "same"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, cin, cout, hw, kernel, stride, padding", CONV_CASES)
def test_conv2d_matches_torch(dtype, n, cin, cout, hw, kernel, stride, padding, rng):
    layer = mt.Conv2D(cin, cout, kernel, stride=stride, padding=padding, dtype=dtype, rng=rng)
    x = rng.standard_normal((n, cin, *hw)).astype(dtype)
    module = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding)
    compare_with_torch(layer, module, x, True, rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_without_bias_matches_torch(dtype, rng):
    layer = mt.Conv2D(3, 8, 3, padding=1, bias=False, dtype=dtype, rng=rng)
    assert "bias" not in layer.params
    x = rng.standard_normal((2, 3, 7, 9)).astype(dtype)
    compare_with_torch(layer, nn.Conv2d(3, 8, 3, padding=1, bias=False), x, True, rng)


def test_conv2d_reuses_scratch_across_shapes(rng):
    """A new input shape reallocates the scratch buffers and an old one still gives the
    right answer (the zero border of the padded buffer must not be stale)."""
    layer = mt.Conv2D(3, 8, 3, padding=2, dtype=np.float64, rng=rng)
    module = nn.Conv2d(3, 8, 3, padding=2)
    for hw in [(7, 9), (13, 11), (7, 9)]:
        x = rng.standard_normal((2, 3, *hw))
        compare_with_torch(layer, module, x, True, rng)


# --- MaxPool2x2 -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1, 7, 9), (2, 3, 13, 11), (3, 16, 8, 8)])
def test_maxpool_matches_torch(dtype, shape, rng):
    x = rng.standard_normal(shape).astype(dtype)
    compare_with_torch(mt.MaxPool2x2(), nn.MaxPool2d(2), x, True, rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_maxpool_ties_route_gradient_like_torch(dtype, rng):
    """With many equal values in a window the gradient goes to the first maximum."""
    x = rng.integers(0, 2, size=(2, 3, 7, 9)).astype(dtype)
    compare_with_torch(mt.MaxPool2x2(), nn.MaxPool2d(2), x, True, rng)


# --- BatchNorm --------------------------------------------------------------------------------
def random_batchnorm(num_features: int, dtype, rng, **kwargs) -> mt.BatchNorm:
    """A BatchNorm with non-trivial affine parameters and running statistics."""
    layer = mt.BatchNorm(num_features, dtype=dtype, **kwargs)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, num_features)
    layer.params["bias"][...] = rng.uniform(-0.5, 0.5, num_features)
    layer.buffers["running_mean"][...] = rng.uniform(-0.5, 0.5, num_features)
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, num_features)
    return layer


BN_SHAPES = [(4, 3), (6, 16), (1, 8, 7, 9), (3, 3, 13, 11), (2, 16, 3, 3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batchnorm_matches_torch(dtype, training, shape, rng):
    layer = random_batchnorm(shape[1], dtype, rng)
    module = nn.BatchNorm1d(shape[1]) if len(shape) == 2 else nn.BatchNorm2d(shape[1])
    # An offset and scale per channel, so that the statistics are not those of N(0, 1).
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    compare_with_torch(layer, module, x, training, rng)


def test_batchnorm_eval_accepts_batch_of_one(rng):
    layer = random_batchnorm(8, np.float64, rng)
    compare_with_torch(layer, nn.BatchNorm1d(8), rng.standard_normal((1, 8)), False, rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batchnorm_running_statistics_follow_torch_over_steps(dtype, rng):
    """Several training steps (momentum 0.1, unbiased variance) then an eval step."""
    layer = random_batchnorm(3, dtype, rng)
    module = nn.BatchNorm2d(3).to(torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        for name, value in [*layer.params.items(), *layer.buffers.items()]:
            getattr(module, name).copy_(torch.from_numpy(value))
    for step in range(4):
        x = (rng.standard_normal((2, 3, 5, 4)) * (step + 1) - step).astype(dtype)
        layer.forward(x, True)
        module(torch.from_numpy(x))
        assert_close(layer.buffers["running_mean"], module.running_mean)
        assert_close(layer.buffers["running_var"], module.running_var)
    x = rng.standard_normal((2, 3, 5, 4)).astype(dtype)
    module.eval()
    assert_close(layer.forward(x, False), module(torch.from_numpy(x)).detach())


@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 5, 3)])
def test_batchnorm_biased_running_var_variant(shape, rng):
    """unbiased_running_var=False (the original MyCNN) stores the biased batch variance."""
    layer = random_batchnorm(4, np.float64, rng, momentum=0.25, unbiased_running_var=False)
    running_mean = layer.buffers["running_mean"].copy()
    running_var = layer.buffers["running_var"].copy()
    x = rng.standard_normal(shape) * 2 + 1
    layer.forward(x, True)
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    expected_mean = 0.75 * running_mean + 0.25 * x.mean(axis=axes)
    expected_var = 0.75 * running_var + 0.25 * x.var(axis=axes)  # ddof=0
    assert_close(layer.buffers["running_mean"], expected_mean)
    assert_close(layer.buffers["running_var"], expected_var)
    # and it differs from the unbiased rule by the n/(n-1) factor
    n = x.size // 4
    unbiased = 0.75 * running_var + 0.25 * x.var(axis=axes) * n / (n - 1)
    assert not np.allclose(layer.buffers["running_var"], unbiased, rtol=1e-6)


# --- ReLU, Softmax, Flatten -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 5), (2, 3, 7, 9)])
def test_relu_matches_torch(dtype, shape, rng):
    x = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[::4] = 0.0  # exact zeros: the gradient there is 0, as in torch
    compare_with_torch(mt.ReLU(), nn.ReLU(), x, True, rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, scale", [((1, 10), 1.0), ((5, 7), 3.0), ((3, 4), 1e4)])
def test_softmax_matches_torch(dtype, shape, scale, rng):
    x = (rng.standard_normal(shape) * scale).astype(dtype)
    compare_with_torch(mt.Softmax(), nn.Softmax(dim=1), x, True, rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 3, 7, 9), (2, 16, 3, 3), (4, 5, 2)])
def test_flatten_matches_torch(dtype, shape, rng):
    x = rng.standard_normal(shape).astype(dtype)
    compare_with_torch(mt.Flatten(), nn.Flatten(), x, True, rng)


# --- any memory layout ------------------------------------------------------------------------
NON_CONTIGUOUS = {
    "Dense": (lambda rng: mt.Dense(4, 3, dtype=np.float64, rng=rng), lambda: nn.Linear(4, 3),
              (5, 4)),
    "Conv2D": (lambda rng: mt.Conv2D(3, 8, 3, padding="same", dtype=np.float64, rng=rng),
               lambda: nn.Conv2d(3, 8, 3, padding="same"), (2, 3, 7, 9)),
    "MaxPool2x2": (lambda rng: mt.MaxPool2x2(), lambda: nn.MaxPool2d(2), (2, 3, 7, 9)),
    "BatchNorm": (lambda rng: random_batchnorm(3, np.float64, rng), lambda: nn.BatchNorm2d(3),
                  (2, 3, 5, 4)),
    "ReLU": (lambda rng: mt.ReLU(), nn.ReLU, (2, 3, 7, 9)),
    "Softmax": (lambda rng: mt.Softmax(), lambda: nn.Softmax(dim=1), (4, 6)),
    "Flatten": (lambda rng: mt.Flatten(), nn.Flatten, (2, 3, 4, 5)),
}


@pytest.mark.parametrize("name", list(NON_CONTIGUOUS))
def test_layers_accept_transposed_input(name, rng):
    """A transposed view (Fortran order, as from x.T) gives the same results."""
    make_layer, make_module, shape = NON_CONTIGUOUS[name]
    x = rng.standard_normal(shape[::-1]).T
    assert x.shape == shape and not x.flags.c_contiguous
    compare_with_torch(make_layer(rng), make_module(), x, True, rng)
