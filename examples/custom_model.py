"""Build a Sequential model of your own and train it on Fashion-MNIST.

    python examples/custom_model.py            # 3 epochs on the full data set
    python examples/custom_model.py --quick    # a few hundred images, one epoch
"""
from __future__ import annotations

import argparse

import numpy as np

import mytorch as mt
from mytorch.data import DataLoader, load_dataset
from mytorch.metrics import accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    data = load_dataset("fashion-mnist")
    n_train = 512 if args.quick else len(data.train_labels)
    x_train = data.train_images[:n_train, None].astype(np.float32) / 255  # (N, 1, 28, 28)
    y_train = data.train_labels[:n_train]
    x_test = data.test_images[:, None].astype(np.float32) / 255

    mt.manual_seed(0)  # layers draw their initial weights from this generator
    model = mt.Sequential(
        mt.Conv2D(1, 16, 3, padding="same"), mt.ReLU(), mt.MaxPool2x2(),   # 16 x 14 x 14
        mt.Conv2D(16, 32, 3, padding="same"), mt.ReLU(), mt.MaxPool2x2(),  # 32 x 7 x 7
        mt.Flatten(), mt.Dense(32 * 7 * 7, 64), mt.ReLU(), mt.Dense(64, 10),
    )
    print(model.summary((1, 28, 28)))
    criterion = mt.CrossEntropyLoss()
    optimizer = mt.Adam(model.parameters(), lr=1e-3)

    # The whole training loop, spelled out: forward, loss, backward, step.
    for epoch in range(1 if args.quick else args.epochs):
        model.train()
        losses = []
        for xb, yb in DataLoader(x_train, y_train, batch_size=64, shuffle=True, seed=epoch):
            logits = model.forward(xb)
            losses.append(criterion(logits, yb))
            model.backward(criterion.backward())
            optimizer.step()
        model.eval()
        predicted = np.concatenate([model.forward(x_test[i:i + 1000]).argmax(1)
                                    for i in range(0, len(x_test), 1000)])
        print(f"epoch {epoch + 1}: train loss {np.mean(losses):.4f}, "
              f"test accuracy {100 * accuracy(predicted, data.test_labels):.2f} %")


if __name__ == "__main__":
    main()
