"""The ``mytorch`` command: train, evaluate and compare the presets on real data."""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from .warmup import warmup

PRESETS = {"cnn": "MyCNN", "mlp": "MyMLP"}


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "mnist"])
    parser.add_argument("--data-dir", default=None, help="directory holding the IDX files")
    parser.add_argument("--download", action="store_true",
                        help="download the dataset into the cache if it is not found")


def _add_preset_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", required=True, choices=sorted(PRESETS))
    parser.add_argument("--epochs", type=int, help="default: the preset's documented value")
    parser.add_argument("--batch-size", type=int, help="default: the preset's documented value")
    parser.add_argument("--lr", type=float, help="default: the preset's documented value")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-augment", action="store_true",
                        help="MyMLP: train on the images as they are")
    parser.add_argument("--threads", type=int, help="kernel threads (default: all cores)")
    _add_data_args(parser)


def _make_preset(args, progress: bool = True):
    from . import presets
    options = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                                 ("lr", args.lr)) if v is not None}
    if args.preset == "mlp" and args.no_augment:
        options["augment_copies"] = 0
    return getattr(presets, PRESETS[args.preset])(seed=args.seed, progress=progress, **options)


def _load(args):
    from .data import load_dataset
    return load_dataset(args.dataset, root=args.data_dir, download=args.download)


def _threads(args) -> None:
    if getattr(args, "threads", None):
        from .threads import set_num_threads
        set_num_threads(args.threads)


def cmd_train(args) -> int:
    if args.plot:
        from .plot import require_matplotlib
        require_matplotlib()  # fail before training, not after
    _threads(args)
    data = _load(args)
    preset = _make_preset(args)
    warmup()  # compile (or load) the kernels before the first epoch's clock starts
    print(f"training {type(preset).__name__} on {args.dataset}: {len(data.train_labels):,} "
          f"training images, {preset.epochs} epochs, batch {preset.batch_size}, seed {args.seed}")
    preset.fit(data.train_images, data.train_labels,
               validation_data=(data.test_images, data.test_labels), checkpoint=args.out,
               resume=args.resume)
    print(f"test accuracy: {100 * preset.score(data.test_images, data.test_labels):.2f} %")
    print(f"checkpoint written: {args.out}")
    if args.plot:
        from .plot import plot_history
        print(f"curves written: {plot_history(preset.history, args.plot, type(preset).__name__)}")
    return 0


def cmd_evaluate(args) -> int:
    from . import presets
    from .metrics import confusion_matrix, format_confusion_matrix
    from .training import load_checkpoint
    name = load_checkpoint(args.checkpoint).extra.get("preset")
    if name not in PRESETS.values():
        raise SystemExit(f"mytorch evaluate: {args.checkpoint} holds no preset (got {name!r})")
    preset = getattr(presets, name).load(args.checkpoint)
    data = _load(args)
    predicted = preset.predict(data.test_images)
    accuracy = float(np.mean(predicted == data.test_labels))
    print(f"{name} from {args.checkpoint} on {args.dataset} test set "
          f"({len(predicted):,} images): accuracy {100 * accuracy:.2f} %")
    print(format_confusion_matrix(confusion_matrix(predicted, data.test_labels,
                                                   preset.num_classes)))
    return 0


def cmd_compare(args) -> int:
    from .compat.torch import compare
    _threads(args)
    data = _load(args)
    preset = _make_preset(args, progress=False)
    start = time.perf_counter()
    result = compare(preset, data.train_images, data.train_labels, data.test_images,
                     data.test_labels)
    print(f"{result.preset} vs PyTorch on {args.dataset}, {preset.epochs} epochs, seed "
          f"{args.seed} ({time.perf_counter() - start:.0f} s)")
    print(result.table())
    return 0 if result.equivalent else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mytorch", description="Train, evaluate and compare the MyCNN and MyMLP presets.")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a preset and write a checkpoint")
    _add_preset_args(train)
    train.add_argument("--out", default="checkpoint.npz", help="checkpoint path (every epoch)")
    train.add_argument("--resume", action="store_true", help="continue from --out")
    train.add_argument("--plot", help="write training curves to this PNG")
    train.set_defaults(run=cmd_train)
    evaluate = sub.add_parser("evaluate", help="accuracy and confusion matrix of a checkpoint")
    evaluate.add_argument("checkpoint")
    _add_data_args(evaluate)
    evaluate.set_defaults(run=cmd_evaluate)
    comp = sub.add_parser("compare", help="train a preset and its PyTorch twin side by side")
    _add_preset_args(comp)
    comp.set_defaults(run=cmd_compare)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, FileNotFoundError, ImportError, FloatingPointError) as error:
        print(f"mytorch {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
