"""Reproduce MyCNN and MyMLP and compare each with its PyTorch twin (needs torch).

    python examples/presets_vs_pytorch.py           # 2 epochs each on Fashion-MNIST
    python examples/presets_vs_pytorch.py --quick   # 2,000 images, 1 epoch
"""
from __future__ import annotations

import argparse

from mytorch.compat.torch import compare
from mytorch.data import load_dataset
from mytorch.presets import MyCNN, MyMLP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    data = load_dataset("fashion-mnist")
    n = 2000 if args.quick else len(data.train_labels)
    epochs = 1 if args.quick else 2
    for preset in (MyCNN(epochs=epochs), MyMLP(epochs=epochs, augment_copies=0)):
        result = compare(preset, data.train_images[:n], data.train_labels[:n],
                         data.test_images, data.test_labels)
        print(result.table(), end="\n\n")


if __name__ == "__main__":
    main()
