"""Sequential: MyCNN loaded from a PyTorch twin's state_dict matches it end to end, the
container API, state_dict/load_state_dict, and thread-count determinism."""
from __future__ import annotations

import copy

import numba
import numpy as np
import pytest

import mytorch as mt
from conftest import assert_close, mycnn, torch_mycnn

MYCNN_KEYS = [
    "0.weight", "0.bias",
    "3.weight", "3.bias", "3.running_mean", "3.running_var",
    "4.weight", "4.bias",
    "7.weight", "7.bias", "7.running_mean", "7.running_var",
    "9.weight", "9.bias",
    "11.weight", "11.bias", "11.running_mean", "11.running_var",
    "12.weight", "12.bias",
]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


# --- parity with PyTorch -------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mycnn_matches_torch(dtype, training, reduction, torch, rng):
    twin = torch_mycnn().to(torch.float64 if dtype == np.float64 else torch.float32)
    twin.train(training)
    model = mycnn(dtype=dtype)  # default eps/momentum/unbiased variance: torch's defaults
    model.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    model.train(training)
    assert model.dtype == dtype

    x = rng.uniform(0, 1, (5, 1, 28, 28)).astype(dtype)
    labels = rng.integers(0, 10, 5)
    criterion = mt.CrossEntropyLoss(reduction)
    logits = model(x)
    loss = criterion(logits, labels)
    grad_x = model.backward(criterion.backward())

    x_t = torch.from_numpy(x.copy()).requires_grad_()
    logits_t = twin(x_t)
    loss_t = torch.nn.functional.cross_entropy(logits_t, torch.from_numpy(labels),
                                               reduction=reduction)
    loss_t.backward()

    # float32 gradients: batch norm's backward is M*g - sum(g) - x_hat*sum(g*x_hat), a
    # difference of terms much larger than the result (batch 5 in BatchNorm(128)), and
    # conv and dense then spread that rounding over whole tensors. Measured against the
    # float64 result, torch's float32 gradients and ours are each off by up to ~4e-5 of
    # the tensor's largest entry, so the two may differ by twice that: atol 1e-4 of it.
    # Outputs, loss and running statistics keep the strict default.
    grad_atol = 1e-4 if dtype == np.float32 else None
    # The float32 logits pass through three such batch norms: torch's own float32 logits
    # are up to 1.4e-6 of the largest logit away from the float64 result (measured, with 1
    # or 2 threads), so 1e-6 would fail on torch's rounding; 3e-6 of it is allowed.
    logits_atol = 3e-6 if dtype == np.float32 else None
    assert logits.dtype == dtype and grad_x.dtype == dtype
    assert_close(logits, logits_t, atol_factor=logits_atol, err_msg="logits")
    assert_close(np.array(loss, dtype), loss_t, err_msg="loss")
    assert_close(grad_x, x_t.grad, atol_factor=grad_atol, err_msg="input gradient")
    for name, param in twin.named_parameters():
        index, pname = name.split(".")
        assert_close(model[int(index)].grads[pname], param.grad, atol_factor=grad_atol,
                     err_msg=f"gradient of {name}")
    ours = model.state_dict()
    for name, buffer in twin.named_buffers():
        if not name.endswith("num_batches_tracked"):
            assert_close(ours[name], buffer, err_msg=name)


# --- container API ---------------------------------------------------------------------------
def test_indexing_iteration_and_len():
    model = mycnn()
    assert len(model) == 13
    assert isinstance(model[0], mt.Conv2D) and isinstance(model[-1], mt.Dense)
    assert list(model) == model.layers
    head = model[:3]
    assert isinstance(head, mt.Sequential) and len(head) == 3
    assert all(a is b for a, b in zip(head, model.layers[:3]))
    assert "(3): BatchNorm(8" in repr(model)


def test_train_and_eval_reach_every_layer(rng):
    model = mycnn()
    model.eval()
    assert not model.training and not any(layer.training for layer in model)
    x = rng.uniform(0, 1, (2, 1, 28, 28)).astype(np.float32)
    running = model.state_dict()
    out = model(x)  # eval mode: running statistics used and left alone
    np.testing.assert_array_equal(out, model.forward(x, training=False))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, running[key])
    model.train()
    assert model.training and all(layer.training for layer in model)
    model(x)
    assert not np.array_equal(model.state_dict()["3.running_mean"], running["3.running_mean"])


@pytest.mark.parametrize("n, batch_size", [(70, 32), (32, 32), (5, 256), (1, 1)])
def test_predict_is_the_eval_forward_in_chunks(rng, n, batch_size):
    model = mycnn()
    x = rng.uniform(0, 255, (n, 1, 28, 28)).astype(np.float32)
    running = model.state_dict()
    out = model.predict(x, batch_size=batch_size)
    np.testing.assert_array_equal(out, model.forward(x, training=False))  # bit for bit
    for key, value in model.state_dict().items():  # running statistics untouched
        np.testing.assert_array_equal(value, running[key])


@pytest.mark.parametrize("x, batch_size, message", [
    (np.zeros((0, 1, 28, 28), np.float32), 8, "non-empty batch"),
    (np.float32(1.0), 8, "non-empty batch"),
    (np.zeros((2, 1, 28, 28), np.float32), 0, "batch_size >= 1"),
    (np.zeros((2, 1, 28, 28), np.float32), 2.5, "batch_size >= 1"),
])
def test_predict_rejects_bad_input(x, batch_size, message):
    with pytest.raises(ValueError, match=message):
        mycnn().predict(x, batch_size=batch_size)


def test_one_layer_in_eval_mode_keeps_its_mode(rng):
    """Like torch, model[3].eval() freezes that BatchNorm while the rest trains; an explicit
    ``training`` argument overrides every layer."""
    model = mycnn()
    model[3].eval()
    running = model.state_dict()
    x = rng.uniform(0, 1, (2, 1, 28, 28)).astype(np.float32)
    model(x)
    after = model.state_dict()
    np.testing.assert_array_equal(after["3.running_mean"], running["3.running_mean"])
    assert not np.array_equal(after["7.running_mean"], running["7.running_mean"])
    model.forward(x, training=True)
    assert not np.array_equal(model.state_dict()["3.running_mean"], running["3.running_mean"])


def test_to_casts_parameters_gradients_and_buffers(rng):
    model = mycnn()
    assert model.dtype == np.float32
    assert model.to(np.float64) is model
    assert model.dtype == np.float64
    for layer in model:
        for store in (layer.params, layer.grads, layer.buffers):
            assert all(v.dtype == np.float64 for v in store.values())
    out = model(rng.standard_normal((2, 1, 28, 28)))
    assert out.dtype == np.float64
    assert model.backward(np.ones_like(out)).dtype == np.float64


def test_to_the_same_dtype_keeps_the_optimizer_connected(rng):
    model = mycnn()
    optimizer = mt.SGD(model.parameters(), lr=0.1)
    model.to(np.float32)
    assert all(p is q for (p, _), q in zip(model.parameters(), optimizer.params))
    assert all(g is q for (_, g), q in zip(model.parameters(), optimizer.grad_arrays))


def test_summary_lists_shapes_and_parameter_counts():
    model = mycnn()
    text = model.summary((1, 28, 28))
    for expected in ["0: Conv2D", "(N, 8, 28, 28)", "(N, 8, 14, 14)", "3: BatchNorm",
                     "(N, 16, 7, 7)", "8: Flatten", "(N, 784)", "(N, 128)", "12: Dense",
                     "(N, 10)", "100,480", "3,216", "Total params: 105,498"]:
        assert expected in text, expected
    assert model.num_parameters() == 105_498
    assert len(text.splitlines()) == 13 + 4  # header, two rules, total


def test_summary_matches_torch_parameter_count(torch):
    twin = torch_mycnn()
    assert mycnn().num_parameters() == sum(p.numel() for p in twin.parameters())


# --- state_dict / load_state_dict ------------------------------------------------------------
def test_state_dict_keys_and_copies():
    model = mycnn()
    state = model.state_dict()
    assert list(state) == MYCNN_KEYS
    assert state["3.running_mean"].shape == (8,) and state["9.weight"].shape == (128, 784)
    state["0.weight"][...] = 7.0  # a copy: the model is unchanged
    assert not np.any(model[0].params["weight"] == 7.0)


def test_state_dict_keys_match_torch(torch):
    twin_keys = [k for k in torch_mycnn().state_dict() if not k.endswith("num_batches_tracked")]
    assert twin_keys == MYCNN_KEYS


def test_load_state_dict_keeps_dtype_and_arrays(rng):
    model = mycnn()
    optimizer = mt.SGD(model.parameters(), lr=0.1)
    arrays = {f"{i}.{n}": t for i, layer in enumerate(model) for n, t in layer.named_tensors()}
    new = {k: rng.standard_normal(v.shape) for k, v in model.state_dict().items()}  # float64
    new["3.num_batches_tracked"] = np.array(3)  # torch-only key: skipped
    model.load_state_dict(new)
    for key, array in arrays.items():
        index, name = key.split(".")
        layer = model[int(index)]
        assert {**layer.params, **layer.buffers}[name] is array, key
        assert array.dtype == np.float32
        np.testing.assert_array_equal(array, new[key].astype(np.float32))
    # the optimizer holds the same arrays, so it sees the loaded values
    np.testing.assert_array_equal(optimizer.params[0], new["0.weight"].astype(np.float32))


def test_load_state_dict_rejects_missing_unexpected_and_misshapen_keys():
    model = mycnn()
    state = model.state_dict()
    missing = {k: v for k, v in state.items() if k != "7.running_var"}
    with pytest.raises(ValueError, match=r"missing keys \['7.running_var'\], unexpected keys \[\]"):
        model.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"missing keys \[\], unexpected keys \['13.weight'\]"):
        model.load_state_dict({**state, "13.weight": np.zeros(3)})
    with pytest.raises(ValueError, match=r"'9.bias' expected shape \(128,\), got \(10,\)"):
        model.load_state_dict({**state, "9.bias": np.zeros(10)})
    # nothing was half-loaded by the failing calls
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key])


def test_load_state_dict_non_strict_loads_the_common_keys():
    model = mycnn()
    state = model.state_dict()
    partial = {"0.bias": np.arange(8.0), "99.weight": np.zeros(1)}
    model.load_state_dict(partial, strict=False)
    np.testing.assert_array_equal(model[0].params["bias"], np.arange(8.0, dtype=np.float32))
    np.testing.assert_array_equal(model[0].params["weight"], state["0.weight"])


# --- determinism -----------------------------------------------------------------------------
def test_gradients_are_bit_identical_across_runs_and_thread_counts(rng):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    mt.manual_seed(3)
    model = mycnn()
    x = rng.uniform(0, 1, (8, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 8)

    def one_pass(threads: int) -> dict[str, np.ndarray]:
        mt.set_num_threads(threads)
        copy_ = copy.deepcopy(model)
        criterion = mt.CrossEntropyLoss()
        criterion(copy_(x), labels)
        grads = {"input": copy_.backward(criterion.backward())}
        grads.update({f"{i}.{n}": g.copy() for i, layer in enumerate(copy_)
                      for n, g in layer.grads.items()})
        return grads

    before = mt.get_num_threads()
    try:
        runs = [one_pass(1), one_pass(1), one_pass(2), one_pass(2)]
    finally:
        mt.set_num_threads(before)
    for run in runs[1:]:
        for key, value in runs[0].items():
            np.testing.assert_array_equal(run[key], value, err_msg=key)
