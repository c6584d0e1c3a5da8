"""Every example runs in its quick mode, so none of them rots."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs_in_quick_mode(script):
    if "torch" in script:
        pytest.importorskip("torch")
    if script != "custom_layer.py" and not FASHION.is_dir() and not os.environ.get("CI"):
        pytest.skip("needs Fashion-MNIST (apt-get install dataset-fashion-mnist)")
    done = subprocess.run([sys.executable, str(EXAMPLES / script), "--quick"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "accuracy" in done.stdout
