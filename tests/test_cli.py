"""The mytorch command, end to end on a small generated data set."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mytorch.cli import main
from mytorch.data import write_idx
from synthetic import make_images


@pytest.fixture(autouse=True)
def keep_thread_counts():
    """--threads changes process-wide settings; put them back for the tests that follow."""
    import mytorch
    before = mytorch.get_num_threads()
    yield
    mytorch.set_num_threads(before)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("fashion")
    (train_x, train_y), (test_x, test_y) = make_images(600, seed=0), make_images(200, seed=1)
    write_idx(root / "train-images-idx3-ubyte.gz", train_x)
    write_idx(root / "train-labels-idx1-ubyte.gz", train_y.astype(np.uint8))
    write_idx(root / "t10k-images-idx3-ubyte.gz", test_x)
    write_idx(root / "t10k-labels-idx1-ubyte.gz", test_y.astype(np.uint8))
    return root


def test_train_then_evaluate(tmp_path, data_dir, capsys):
    out = tmp_path / "cnn.npz"
    plot = tmp_path / "curves.png"
    code = main(["train", "--preset", "cnn", "--epochs", "2", "--data-dir", str(data_dir),
                 "--out", str(out), "--plot", str(plot), "--threads", "1"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "epoch 2/2" in printed and "test accuracy:" in printed
    assert out.is_file() and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    accuracy = float(printed.split("test accuracy: ")[1].split(" %")[0])
    assert accuracy > 80

    assert main(["evaluate", str(out), "--data-dir", str(data_dir)]) == 0
    printed = capsys.readouterr().out
    assert f"accuracy {accuracy:.2f} %" in printed
    assert "rows: true class" in printed and len(printed.splitlines()) >= 12


def test_train_resume_continues_to_the_requested_epochs(tmp_path, data_dir, capsys):
    out = tmp_path / "mlp.npz"
    args = ["train", "--preset", "mlp", "--no-augment", "--data-dir", str(data_dir),
            "--out", str(out)]
    assert main(args + ["--epochs", "1"]) == 0
    assert main(args + ["--epochs", "2", "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "epoch 2/2" in printed


def test_compare_prints_the_verdict_table(data_dir, capsys):
    pytest.importorskip("torch")
    code = main(["compare", "--preset", "mlp", "--no-augment", "--epochs", "1",
                 "--data-dir", str(data_dir)])
    printed = capsys.readouterr().out
    assert "| test accuracy |" in printed and "seconds per epoch" in printed
    assert ("→ equivalent" in printed) == (code == 0)


def test_missing_dataset_lists_where_it_looked(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MYTORCH_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code = main(["train", "--preset", "cnn", "--dataset", "mnist", "--data-dir",
                 str(tmp_path / "empty")])
    err = capsys.readouterr().err
    assert code == 2
    assert "empty" in err and "nowhere" in err and "download" in err


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, data_dir, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a real archive")
    assert main(["evaluate", str(bad), "--data-dir", str(data_dir)]) == 2
    assert "bad.npz" in capsys.readouterr().err


def test_bad_option_values_are_rejected(data_dir, capsys):
    assert main(["train", "--preset", "cnn", "--batch-size", "0", "--data-dir", str(data_dir)]) == 2
    assert "batch_size" in capsys.readouterr().err


def test_the_console_script_is_installed():
    done = subprocess.run([sys.executable, "-m", "mytorch.cli", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "train" in done.stdout and "compare" in done.stdout
