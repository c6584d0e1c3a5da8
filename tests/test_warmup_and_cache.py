"""warmup() compiles every kernel a training step uses, and the kernel cache works even
when the package directory is read-only (Numba falls back to the user's cache)."""
from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mytorch
from mytorch import kernels
from mytorch.presets import MyCNN, MyMLP
from mytorch.training import train_step


def _kernel_signatures() -> dict[str, int]:
    import importlib
    import pkgutil
    counts = {}
    for info in pkgutil.iter_modules(kernels.__path__):
        module = importlib.import_module(f"mytorch.kernels.{info.name}")
        for name, obj in inspect.getmembers(module):
            # kernels whose names start with "_" are helpers inlined into other kernels
            if (hasattr(obj, "signatures") and obj.__module__ == module.__name__
                    and not name.startswith("_")):
                counts[f"{info.name}.{name}"] = len(obj.signatures)
                if hasattr(obj, "serial"):  # the one-thread twin of a parallel kernel
                    counts[f"{info.name}.{name}.serial"] = len(obj.serial.signatures)
    return counts


def test_warmup_compiles_everything_a_preset_training_step_needs():
    seconds = mytorch.warmup()
    assert seconds > 0
    before = _kernel_signatures()
    assert before and all(count >= 1 for count in before.values()), before
    images = np.random.default_rng(0).integers(0, 255, (40, 28, 28), dtype=np.uint8)
    labels = np.arange(40) % 10
    for preset in (MyCNN(progress=False), MyMLP(progress=False)):
        model = preset.initialize()
        x = preset.preprocess(images[:32])
        train_step(model, preset.criterion(), preset.optimizer, x, labels[:32])
        preset.predict(images)
    assert _kernel_signatures() == before  # nothing new was compiled


def _read_only_copy(tmp_path: Path) -> Path:
    """The package on a read-only file system (a tmpfs remounted read-only when we are
    root, since root may write through permission bits; chmod otherwise)."""
    target = tmp_path / "ro"
    target.mkdir()
    package = Path(mytorch.__file__).parent
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "none", str(target)]).returncode != 0:
            pytest.skip("cannot mount a read-only tmpfs here")
    shutil.copytree(package, target / "mytorch", ignore=shutil.ignore_patterns("__pycache__"))
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True)
    else:
        for path in [target, *target.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
    return target


def test_kernel_cache_works_from_a_read_only_package_directory(tmp_path):
    root = _read_only_copy(tmp_path)
    try:
        cache = tmp_path / "user-cache"
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
        env.update(PYTHONPATH=str(root), XDG_CACHE_HOME=str(cache))
        code = "import mytorch; print(mytorch.__file__); print(mytorch.warmup())"
        runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                               text=True, timeout=600, cwd=tmp_path) for _ in range(2)]
        for run in runs:
            assert run.returncode == 0, run.stderr[-2000:]
            assert run.stdout.splitlines()[0].startswith(str(root))
        cold, warm = (float(run.stdout.splitlines()[-1]) for run in runs)
        assert any((cache / "numba").rglob("*.nbi")), "no kernel was cached in the user cache"
        assert warm < cold / 3, (cold, warm)
        with pytest.raises(OSError):
            (root / "mytorch" / "probe").write_text("x")  # the package really was read-only
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(root)])
