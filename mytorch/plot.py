"""Training curves as a PNG (matplotlib is an optional extra: pip install "mytorch[plot]")."""
from __future__ import annotations

from pathlib import Path

from .atomic import atomic_write


def require_matplotlib():
    """Import matplotlib with a headless backend, or explain how to install it."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError('plotting needs matplotlib: pip install "mytorch[plot]" '
                          '(or pip install matplotlib)') from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_history(history, path: str | Path, title: str = "") -> Path:
    """Loss and accuracy per epoch (training, and validation where present) to a PNG,
    written atomically."""
    plt = require_matplotlib()
    epochs = [h.epoch for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h.loss for h in history], "o-", label="train")
    ax_acc.plot(epochs, [100 * h.accuracy for h in history], "o-", label="train")
    if history and history[0].val_loss is not None:
        ax_loss.plot(epochs, [h.val_loss for h in history], "s-", label="test")
        ax_acc.plot(epochs, [100 * h.val_accuracy for h in history], "s-", label="test")
    ax_loss.set(xlabel="epoch", ylabel="loss per sample", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_write(path) as file:
        fig.savefig(file, format="png", dpi=100)
    plt.close(fig)
    return Path(path)
