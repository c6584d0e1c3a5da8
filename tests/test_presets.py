"""The presets: documented architecture and recipe, scikit-learn face, and none of the
original's defects (../shared/SEED_MODELS.md)."""
from __future__ import annotations

import numpy as np
import pytest
from synthetic import make_images

from mytorch import BatchNorm, Dense
from mytorch.optim import SGD, Adam
from mytorch.presets import MyCNN, MyMLP


@pytest.fixture(scope="module")
def data():
    return make_images(400, seed=0), make_images(200, seed=1)


def test_mycnn_architecture_and_recipe_match_the_documented_model():
    clf = MyCNN(progress=False)
    model = clf.initialize()
    names = [type(layer).__name__ for layer in model]
    assert names == ["Conv2D", "ReLU", "MaxPool2x2", "BatchNorm", "Conv2D", "ReLU", "MaxPool2x2",
                     "BatchNorm", "Flatten", "Dense", "ReLU", "BatchNorm", "Dense"]
    assert model[0].params["weight"].shape == (8, 1, 5, 5) and model[0].padding == "same"
    assert model[4].params["weight"].shape == (16, 8, 5, 5)
    assert model[9].params["weight"].shape == (128, 784)
    for i in (3, 7, 11):
        assert (model[i].eps, model[i].momentum, model[i].unbiased_running_var) == (1e-3, 0.1, False)
    limits = {0: np.sqrt(6 / (25 + 8)), 4: np.sqrt(6 / (200 + 16)), 9: np.sqrt(6 / (784 + 128)),
              12: np.sqrt(6 / (128 + 10))}
    for i, limit in limits.items():
        w = model[i].params["weight"]
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
        assert not model[i].params["bias"].any()
    assert isinstance(clf.optimizer, SGD) and clf.optimizer.lr == 0.005
    assert clf.optimizer.momentum == 0 and clf.optimizer.weight_decay == 0
    assert (clf.epochs, clf.batch_size, clf.shuffle, clf.loss_reduction) == (10, 32, True, "sum")
    x = clf.preprocess(np.full((2, 28, 28), 255, np.uint8))
    assert x.shape == (2, 1, 28, 28) and x.dtype == np.float32 and x.max() == 255.0


def test_mymlp_architecture_and_recipe_match_the_documented_model():
    clf = MyMLP(progress=False)
    model = clf.initialize()
    shapes = [layer.params["weight"].shape for layer in model if isinstance(layer, Dense)]
    assert shapes == [(75, 784), (25, 75), (10, 25)]
    stds = [layer.params["weight"].std() for layer in model if isinstance(layer, Dense)]
    for std, expected in zip(stds, [np.sqrt(1 / 784), np.sqrt(2 / 75), np.sqrt(2 / 25)]):
        assert abs(std - expected) < 0.25 * expected
    opt = clf.optimizer
    assert isinstance(opt, Adam) and opt.eps_hat and opt.lr == 0.001 and opt.betas == (0.9, 0.999)
    assert (clf.epochs, clf.batch_size, clf.augment_copies) == (15, 16, 2)
    assert (clf.max_shift, clf.max_rotation) == (0.05, 0.05)
    x = clf.preprocess(np.full((2, 28, 28), 255, np.uint8))
    assert x.shape == (2, 784) and x.max() == 1.0


def test_mymlp_trains_on_the_training_set_augmented_twice(data):
    (X, y), _ = data
    clf = MyMLP(progress=False)
    images, labels = clf.training_data(X, y, np.random.default_rng(0))
    assert images.shape == (2 * len(X), 28, 28) and np.array_equal(labels, np.concatenate([y, y]))
    assert not np.array_equal(images[:len(X)], X)  # the copies are transformed


@pytest.mark.parametrize("make", [lambda: MyCNN(epochs=3, progress=False),
                                  lambda: MyMLP(epochs=3, augment_copies=0, progress=False)])
def test_presets_learn_and_predict_any_number_of_images(data, make):
    (X, y), (X_test, y_test) = data
    clf = make().fit(X, y)
    assert clf.score(X_test, y_test) > 0.9
    assert len(clf.history) == 3
    for n in (1, 7, 1001 % 200 + 3):
        assert clf.predict(X_test[:n], batch_size=2).shape == (n,)
    proba = clf.predict_proba(X_test, batch_size=33)  # 200 = 6 batches of 33 + 2: none dropped
    assert proba.shape == (200, 10) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(proba.argmax(1), clf.predict(X_test, batch_size=1000))
    assert clf.predict(X_test[:, None]).shape == (200,)  # (N, 1, 28, 28) works too


def test_same_seed_gives_bit_identical_weights_and_a_new_seed_does_not(data):
    (X, y), _ = data
    runs = [MyCNN(epochs=1, seed=s, progress=False).fit(X, y).model.state_dict() for s in (3, 3, 4)]
    for key in runs[0]:
        np.testing.assert_array_equal(runs[0][key], runs[1][key])
    assert not np.array_equal(runs[0]["0.weight"], runs[2]["0.weight"])


def test_training_works_when_n_is_not_a_multiple_of_the_batch_size(data):
    (X, y), _ = data
    clf = MyCNN(epochs=1, batch_size=32, progress=False).fit(X[:45], y[:45])  # 32 + 13
    assert clf.history[0].samples_per_second > 0


def test_input_size_classes_and_depth_are_not_hard_coded():
    X, y = make_images(64, num_classes=3, size=16)
    cnn = MyCNN(input_shape=(16, 16), num_classes=3, filters=(4, 6), hidden=32, epochs=1,
                progress=False).fit(X, y)
    assert cnn.predict_proba(X).shape == (64, 3)
    assert cnn.model[9].params["weight"].shape == (32, 6 * 4 * 4)
    mlp = MyMLP(input_shape=(16, 16), num_classes=3, hidden=(20, 20, 20), epochs=1,
                augment_copies=0, progress=False).fit(X, y)
    assert sum(isinstance(layer, Dense) for layer in mlp.model) == 4


def test_softmax_does_not_overflow_on_huge_logits(data):
    (X, y), _ = data
    clf = MyCNN(epochs=1, progress=False).fit(X[:64], y[:64])
    clf.model[12].params["weight"] *= 1e6  # logits of order 1e8
    proba = clf.predict_proba(X[:10])
    assert np.isfinite(proba).all() and np.allclose(proba.sum(1), 1)


def test_inference_batch_norm_adds_eps_to_the_running_variance():
    clf = MyCNN(progress=False)
    model = clf.initialize()
    bn = model[11]
    bn.buffers["running_var"][...] = 0  # without eps this divides by zero
    assert isinstance(bn, BatchNorm)
    logits = clf.decision_function(make_images(4)[0])
    assert np.isfinite(logits).all()


def test_unfitted_preset_says_so():
    with pytest.raises(ValueError, match="not fitted"):
        MyCNN(progress=False).predict(make_images(2)[0])


@pytest.mark.parametrize("X, y, error, match", [
    (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), ValueError, "at least one image"),
    (np.zeros((4, 28, 27), np.uint8), np.zeros(4, np.int64), ValueError, r"\(N, 28, 28\).*\(4, 28, 27\)"),
    (np.zeros((4, 2, 28, 28), np.uint8), np.zeros(4, np.int64), ValueError, r"\(N, 1, 28, 28\)"),
    (np.zeros((4, 28, 28), object), np.zeros(4, np.int64), TypeError, "object"),
    (np.full((4, 28, 28), np.nan), np.zeros(4, np.int64), ValueError, "NaN"),
    (np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 2, 10]), ValueError, r"\[0, 9\].*10"),
    (np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 2, -1]), ValueError, r"-1"),
    (np.zeros((4, 28, 28), np.uint8), np.zeros(3, np.int64), ValueError, r"\(4,\).*\(3,\)"),
    (np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.float32), TypeError, "integer"),
])
def test_fit_rejects_bad_input_with_a_clear_message(X, y, error, match):
    with pytest.raises(error, match=match):
        MyCNN(epochs=1, progress=False).fit(X, y)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "batch_size"), ({"epochs": 0}, "epochs"), ({"lr": -1.0}, "lr"),
    ({"num_classes": 1}, "num_classes"), ({"kernel_size": 4}, "odd"),
])
def test_bad_settings_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MyCNN(**kwargs)


def test_predict_rejects_a_batch_size_of_zero(data):
    (X, y), _ = data
    clf = MyMLP(epochs=1, augment_copies=0, progress=False).fit(X[:32], y[:32])
    with pytest.raises(ValueError, match="batch_size"):
        clf.predict(X, batch_size=0)


def test_save_and_load_round_trip(tmp_path, data):
    (X, y), (X_test, _) = data
    for clf in (MyCNN(epochs=1, progress=False), MyMLP(epochs=1, augment_copies=0, progress=False)):
        clf.fit(X, y)
        path = clf.save(tmp_path / f"{type(clf).__name__}.npz")
        loaded = type(clf).load(path)
        np.testing.assert_array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
        assert loaded.config() == clf.config()
        for a, b in zip(loaded.optimizer.state, clf.optimizer.state):
            assert a.keys() == b.keys()


def test_loading_the_wrong_preset_is_a_clear_error(tmp_path, data):
    (X, y), _ = data
    path = MyMLP(epochs=1, augment_copies=0, progress=False).fit(X[:32], y[:32]).save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="MyMLP.*MyCNN"):
        MyCNN.load(path)
