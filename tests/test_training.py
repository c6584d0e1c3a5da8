"""The training loop: history, NaN stop, early stopping, checkpoints and exact resume."""
from __future__ import annotations

import numpy as np
import pytest

import mytorch as mt
from mytorch.training import CheckpointError, Trainer, TrainingDiverged, load_checkpoint
from synthetic import make_images


def small_model(seed: int = 0) -> mt.Sequential:
    rng = np.random.default_rng(seed)
    return mt.Sequential(mt.Conv2D(1, 4, 3, padding=1, rng=rng), mt.ReLU(), mt.MaxPool2x2(),
                         mt.BatchNorm(4), mt.Flatten(), mt.Dense(4 * 14 * 14, 10, rng=rng))


@pytest.fixture(scope="module")
def data():
    (X, y), (Xv, yv) = make_images(300, seed=0), make_images(100, seed=1)
    return X[:, None].astype(np.float32) / 255, y, Xv[:, None].astype(np.float32) / 255, yv


def make_trainer(tmp_path=None, seed=0, **kwargs) -> Trainer:
    model = small_model(seed)
    return Trainer(model, mt.CrossEntropyLoss(), mt.Adam(model.parameters(), lr=3e-3),
                   batch_size=32, seed=seed, progress=False,
                   checkpoint=None if tmp_path is None else tmp_path / "ckpt.npz", **kwargs)


def test_history_has_loss_accuracy_time_and_throughput_per_epoch(data):
    X, y, Xv, yv = data
    history = make_trainer().fit(X, y, epochs=3, validation_data=(Xv, yv))
    assert [h.epoch for h in history] == [1, 2, 3]
    assert history[-1].loss < history[0].loss
    assert history[-1].val_accuracy > 0.8
    assert all(h.seconds > 0 and h.samples_per_second > 0 for h in history)
    assert "epoch 3/3" in history[-1].line(3) and "val_accuracy" in history[-1].line(3)


def test_progress_bar_and_epoch_lines_are_shown(data, capsys):
    X, y, _, _ = data
    trainer = make_trainer()
    trainer.progress = True
    trainer.fit(X, y, epochs=1)
    captured = capsys.readouterr()
    assert "epoch 1/1" in captured.out + captured.err
    assert "samples/s" in captured.out + captured.err


def test_nan_loss_stops_with_epoch_and_step(data):
    X, y, _, _ = data
    X = X.copy()
    X[100] = np.nan  # sample 100 is in step 4 (batches of 32, no shuffling)
    trainer = make_trainer()
    trainer.shuffle = False
    with pytest.raises(TrainingDiverged, match=r"epoch 1, step 4"):
        trainer.fit(X, y, epochs=2)


def test_early_stopping_restores_the_best_weights(data):
    X, y, Xv, yv = data
    trainer = make_trainer(patience=1)
    # validation labels shifted by one class: the better the model learns the training
    # labels, the worse its validation loss, so training must stop early
    wrong = (yv + 1) % 10
    history = trainer.fit(X, y, epochs=8, validation_data=(Xv, wrong))
    best = min(h.val_loss for h in history)
    assert len(history) < 8
    assert history[-1].val_loss > best
    assert trainer.evaluate(Xv, wrong)[0] == pytest.approx(best, rel=1e-6)


def test_early_stopping_needs_validation_data(data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match="validation_data"):
        make_trainer(patience=2).fit(X, y, epochs=2)


def test_checkpoint_every_epoch_and_resume_is_bit_exact(tmp_path, data):
    X, y, Xv, yv = data
    straight = make_trainer()
    straight.fit(X, y, epochs=4, validation_data=(Xv, yv))

    first = make_trainer(tmp_path)
    first.fit(X, y, epochs=2, validation_data=(Xv, yv))
    assert load_checkpoint(tmp_path / "ckpt.npz").epoch == 2
    resumed = make_trainer(tmp_path)  # a new process would build the same objects
    history = resumed.fit(X, y, epochs=4, validation_data=(Xv, yv), resume=True)
    assert [h.epoch for h in history] == [1, 2, 3, 4]
    for key, value in straight.model.state_dict().items():
        np.testing.assert_array_equal(resumed.model.state_dict()[key], value, err_msg=key)
    assert history[-1].loss == straight.history[-1].loss


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path, data):
    X, y, _, _ = data
    with pytest.raises(FileNotFoundError, match="ckpt.npz"):
        make_trainer(tmp_path).fit(X, y, epochs=1, resume=True)


def test_checkpoint_rebuilds_the_model_without_the_code_that_made_it(tmp_path, data):
    X, y, Xv, _ = data
    trainer = make_trainer(tmp_path)
    trainer.fit(X, y, epochs=1)
    model = load_checkpoint(tmp_path / "ckpt.npz").build_model()
    trainer.model.eval()
    model.eval()
    np.testing.assert_array_equal(model.forward(Xv), trainer.model.forward(Xv))


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_or_truncated_checkpoints_are_rejected(tmp_path, data, damage):
    X, y, _, _ = data
    trainer = make_trainer(tmp_path)
    trainer.fit(X, y, epochs=1)
    path = tmp_path / "ckpt.npz"
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":
        middle = len(raw) // 3
        path.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1:])
    elif damage == "garbage":
        path.write_bytes(b"not a checkpoint at all")
    else:
        path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="ckpt.npz"):
        ckpt = load_checkpoint(path)
        ckpt.restore_model(trainer.model)  # a flipped byte may hit a member only read here


def test_checkpoint_for_another_architecture_is_rejected(tmp_path, data):
    X, y, _, _ = data
    make_trainer(tmp_path).fit(X, y, epochs=1)
    other = mt.Sequential(mt.Flatten(), mt.Dense(784, 10))
    with pytest.raises(CheckpointError, match="architecture mismatch"):
        load_checkpoint(tmp_path / "ckpt.npz").restore_model(other)
    with pytest.raises(CheckpointError, match="optimizer mismatch"):
        load_checkpoint(tmp_path / "ckpt.npz").restore_optimizer(
            mt.SGD(small_model().parameters(), lr=0.1))


def test_a_failed_save_leaves_the_previous_checkpoint_intact(tmp_path, data, monkeypatch):
    X, y, _, _ = data
    trainer = make_trainer(tmp_path)
    trainer.fit(X, y, epochs=1)
    path = tmp_path / "ckpt.npz"
    before = path.read_bytes()

    def failing_savez(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="No space"):
        trainer.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]  # no temporary left
