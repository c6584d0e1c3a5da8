"""Bad input raises ValueError or TypeError whose message names the layer (or key), what it
expected and what it got."""
from __future__ import annotations

import numpy as np
import pytest

import mytorch as mt

f32, f64 = np.float32, np.float64


def zeros(*shape, dtype=f32):
    return np.zeros(shape, dtype)


def after_forward(layer: mt.Layer, x: np.ndarray) -> mt.Layer:
    layer.forward(x, True)
    return layer


CASES = {
    # wrong number of dimensions
    "dense_ndim": (lambda: mt.Dense(4, 3)(zeros(2, 4, 1)), ValueError,
                   r"Dense: expected input \(N, 4\), got shape \(2, 4, 1\)"),
    "conv_ndim": (lambda: mt.Conv2D(3, 8, 3)(zeros(3, 7, 7)), ValueError,
                  r"Conv2D: expected input \(N, 3, H, W\), got shape \(3, 7, 7\)"),
    "batchnorm_ndim": (lambda: mt.BatchNorm(8)(zeros(2, 8, 3)), ValueError,
                       r"BatchNorm: expected input \(N, 8\) or \(N, 8, H, W\), "
                       r"got shape \(2, 8, 3\)"),
    "maxpool_ndim": (lambda: mt.MaxPool2x2()(zeros(2, 8, 8)), ValueError,
                     r"MaxPool2x2: expected input \(N, C, H, W\), got shape \(2, 8, 8\)"),
    "softmax_ndim": (lambda: mt.Softmax()(zeros(2, 3, 4)), ValueError,
                     r"Softmax: expected input \(N, K\), got shape \(2, 3, 4\)"),
    "flatten_ndim": (lambda: mt.Flatten()(zeros(5)), ValueError,
                     r"Flatten: expected input \(N, ...\), got shape \(5,\)"),
    # wrong channel or feature count, or too small
    "dense_features": (lambda: mt.Dense(4, 3)(zeros(2, 5)), ValueError,
                       r"Dense: expected input \(N, 4\), got shape \(2, 5\)"),
    "conv_channels": (lambda: mt.Conv2D(3, 8, 3)(zeros(2, 1, 7, 7)), ValueError,
                      r"Conv2D: expected input \(N, 3, H, W\), got shape \(2, 1, 7, 7\)"),
    "conv_too_small": (lambda: mt.Conv2D(1, 1, 5)(zeros(1, 1, 3, 4)), ValueError,
                       r"Conv2D: input 3x4 \(padded 3x4\) is smaller than the kernel 5x5"),
    "batchnorm_channels": (lambda: mt.BatchNorm(8)(zeros(2, 4, 3, 3)), ValueError,
                           r"BatchNorm: expected 8 channels on axis 1, got shape \(2, 4, 3, 3\)"),
    "batchnorm_single_value": (lambda: mt.BatchNorm(8)(zeros(1, 8)), ValueError,
                               r"BatchNorm: training needs more than one value per channel, "
                               r"got input of shape \(1, 8\)"),
    "maxpool_too_small": (lambda: mt.MaxPool2x2()(zeros(1, 1, 1, 4)), ValueError,
                          r"MaxPool2x2: expected H and W of at least 2, got shape \(1, 1, 1, 4\)"),
    "sequential_names_layer": (lambda: mt.Sequential(mt.Dense(4, 3), mt.Dense(5, 2))(
                                   zeros(2, 4)),
                               ValueError, r"Dense: expected input \(N, 5\), got shape \(2, 3\)"),
    # dtype
    "integer_dtype": (lambda: mt.Dense(4, 3)(np.zeros((2, 4), np.int64)), TypeError,
                      r"Dense: expected a float32 or float64 array \(N, 4\), got dtype int64"),
    "object_dtype": (lambda: mt.Conv2D(3, 8, 3)(np.empty((1, 3, 5, 5), object)), TypeError,
                     r"Conv2D: expected a float32 or float64 array \(N, 3, H, W\), "
                     r"got dtype object"),
    "relu_integer": (lambda: mt.ReLU()(np.arange(4)), TypeError,
                     r"ReLU: expected a float32 or float64 array of any shape, got dtype int64"),
    "not_an_array": (lambda: mt.Dense(4, 3)([[1.0, 2.0, 3.0, 4.0]]), TypeError,
                     r"Dense: expected a numpy array \(N, 4\), got list"),
    "dtype_mismatch": (lambda: mt.Dense(4, 3, dtype=f32)(zeros(2, 4, dtype=f64)), TypeError,
                       r"Dense: expected input of dtype float32 .*, got float64"),
    "batchnorm_dtype_mismatch": (lambda: mt.BatchNorm(3, dtype=f64)(zeros(2, 3)), TypeError,
                                 r"BatchNorm: expected input of dtype float64 .*, got float32"),
    # empty batch
    "dense_empty": (lambda: mt.Dense(4, 3)(zeros(0, 4)), ValueError,
                    r"Dense: expected a non-empty batch \(N, 4\), got shape \(0, 4\)"),
    "conv_empty": (lambda: mt.Conv2D(3, 8, 3)(zeros(0, 3, 5, 5)), ValueError,
                   r"Conv2D: expected a non-empty batch \(N, 3, H, W\), got shape \(0, 3, 5, 5\)"),
    "batchnorm_empty": (lambda: mt.BatchNorm(3)(zeros(0, 3)), ValueError,
                        r"BatchNorm: expected a non-empty batch .*, got shape \(0, 3\)"),
    # grad_output of the wrong shape or dtype
    "dense_grad_shape": (lambda: after_forward(mt.Dense(4, 3), zeros(2, 4)).backward(zeros(2, 2)),
                         ValueError, r"Dense.backward: expected grad_output of shape \(2, 3\) "
                                     r"\(the last output's\), got \(2, 2\)"),
    "conv_grad_shape": (lambda: after_forward(mt.Conv2D(1, 2, 3), zeros(1, 1, 5, 5))
                        .backward(zeros(1, 2, 5, 5)), ValueError,
                        r"Conv2D.backward: expected grad_output of shape \(1, 2, 3, 3\).*, "
                        r"got \(1, 2, 5, 5\)"),
    "maxpool_grad_dtype": (lambda: after_forward(mt.MaxPool2x2(), zeros(1, 1, 4, 4))
                           .backward(zeros(1, 1, 2, 2, dtype=f64)), TypeError,
                           r"MaxPool2x2.backward: expected grad_output of dtype float32 .*, "
                           r"got float64"),
    "grad_integer": (lambda: after_forward(mt.ReLU(), zeros(2, 2)).backward(np.zeros((2, 2), int)),
                     TypeError, r"ReLU.backward: expected a float array, got int64"),
    # CrossEntropyLoss and MSELoss
    "ce_label_too_large": (lambda: mt.CrossEntropyLoss()(zeros(3, 10), np.array([1, 10, 2])),
                           ValueError, r"CrossEntropyLoss: expected labels in \[0, 9\], got 10"),
    "ce_label_negative": (lambda: mt.CrossEntropyLoss()(zeros(2, 4), np.array([-1, 0])),
                          ValueError, r"CrossEntropyLoss: expected labels in \[0, 3\], got -1"),
    "ce_float_labels": (lambda: mt.CrossEntropyLoss()(zeros(2, 4), np.array([1.0, 2.0])),
                        TypeError, r"CrossEntropyLoss: expected integer class labels, got dtype "
                                   r"float64"),
    "ce_labels_shape": (lambda: mt.CrossEntropyLoss()(zeros(2, 4), np.array([[1], [2]])),
                        ValueError, r"CrossEntropyLoss: expected labels of shape \(2,\), "
                                    r"got \(2, 1\)"),
    "ce_logits_ndim": (lambda: mt.CrossEntropyLoss()(zeros(2, 4, 1), np.array([1, 2])),
                       ValueError, r"CrossEntropyLoss: expected logits \(N, num_classes\) with "
                                   r"N > 0, got shape \(2, 4, 1\)"),
    "ce_integer_logits": (lambda: mt.CrossEntropyLoss()(np.zeros((2, 4), int), np.array([1, 2])),
                          TypeError, r"CrossEntropyLoss: expected logits .* as a float32 or "
                                     r"float64 array, got int64"),
    "ce_reduction": (lambda: mt.CrossEntropyLoss("none"), ValueError,
                     r"CrossEntropyLoss: reduction must be 'mean' or 'sum', got 'none'"),
    "mse_shapes": (lambda: mt.MSELoss()(zeros(2, 3), zeros(3, 2)), ValueError,
                   r"MSELoss: expected output and target of one non-empty shape, got \(2, 3\) "
                   r"and \(3, 2\)"),
    "ce_backward_first": (lambda: mt.CrossEntropyLoss().backward(), ValueError,
                          r"CrossEntropyLoss.backward: called before the loss was computed"),
    "mse_backward_first": (lambda: mt.MSELoss().backward(), ValueError,
                           r"MSELoss.backward: called before the loss was computed"),
    # construction
    "conv_same_stride": (lambda: mt.Conv2D(1, 1, 3, stride=2, padding="same"), ValueError,
                         r"Conv2D: padding='same' needs stride 1"),
    "conv_padding_word": (lambda: mt.Conv2D(1, 1, 3, padding="full"), ValueError,
                          r"Conv2D: padding must be an int, a pair, 'same' or 'valid', got 'full'"),
    "conv_kernel_zero": (lambda: mt.Conv2D(1, 1, 0), ValueError,
                         r"Conv2D: kernel_size and stride must be >= 1, got 0 and 1"),
    "sequential_item": (lambda: mt.Sequential(mt.ReLU(), 3), TypeError,
                        r"Sequential: item 1 must be a Layer, got int"),
    "layer_to_int": (lambda: mt.Dense(2, 2).to(np.int32), TypeError,
                     r"Dense.to: expected float32 or float64, got int32"),
    "state_dict_shape": (lambda: mt.Sequential(mt.Dense(4, 3)).load_state_dict(
                             {"0.weight": zeros(4, 3), "0.bias": zeros(3)}), ValueError,
                         r"Sequential.load_state_dict: '0.weight' expected shape \(3, 4\), "
                         r"got \(4, 3\)"),
    "state_dict_object": (lambda: mt.Sequential(mt.Dense(1, 1)).load_state_dict(
                              {"0.weight": np.array([["a"]], object), "0.bias": zeros(1)}),
                          TypeError, r"'0.weight' expected a numeric array, got dtype object"),
    "sgd_nesterov": (lambda: mt.SGD(mt.Dense(2, 2).parameters(), lr=0.1, nesterov=True),
                     ValueError, r"SGD: Nesterov momentum needs momentum > 0 and dampening 0"),
    "adam_betas": (lambda: mt.Adam(mt.Dense(2, 2).parameters(), betas=(0.9, 1.0)), ValueError,
                   r"Adam: expected 0 <= betas < 1 and eps >= 0, got betas=\(0.9, 1.0\)"),
    "optimizer_empty": (lambda: mt.SGD([], lr=0.1), ValueError,
                        r"SGD: got an empty parameter list"),
    "optimizer_not_pairs": (lambda: mt.SGD([zeros(2)], lr=0.1), TypeError,
                            r"SGD: parameter 0 must be a \(param, grad\) pair"),
    "threads": (lambda: mt.set_num_threads(0), ValueError,
                r"set_num_threads: expected 1\.\.\d+, got 0"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_raises_a_clear_error(case):
    call, error, message = CASES[case]
    with pytest.raises(error, match=message):
        call()


BACKWARD_FIRST = {
    "Dense": lambda: mt.Dense(4, 3),
    "Conv2D": lambda: mt.Conv2D(1, 2, 3),
    "MaxPool2x2": mt.MaxPool2x2,
    "BatchNorm": lambda: mt.BatchNorm(3),
    "ReLU": mt.ReLU,
    "Softmax": mt.Softmax,
    "Flatten": mt.Flatten,
}


@pytest.mark.parametrize("name", list(BACKWARD_FIRST))
def test_backward_before_forward_names_the_layer(name):
    with pytest.raises(ValueError, match=rf"{name}.backward: called before forward; "
                                         r"run forward first"):
        BACKWARD_FIRST[name]().backward(zeros(2, 3))


def test_a_failed_forward_leaves_the_layer_usable(rng):
    layer = mt.Dense(4, 3, dtype=f64)
    x = rng.standard_normal((2, 4))
    out = layer(x)
    with pytest.raises(ValueError):
        layer(zeros(2, 5, dtype=f64))
    np.testing.assert_array_equal(layer(x), out)
    assert layer.backward(np.ones_like(out)).shape == (2, 4)
