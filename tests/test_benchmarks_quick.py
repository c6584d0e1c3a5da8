"""The benchmark suite in quick mode: every case runs once (--benchmark-disable), so this
proves that each library's version runs and agrees with the NumPy reference. No timing
is asserted. Also checks the Markdown report of benchmarks/run.py on a made-up result."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_suite_runs_once_and_agrees_with_reference():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks", "-q", "--benchmark-disable",
         "-p", "no:cacheprovider", "-rs"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    tail = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed and int(passed.group(1)) > 0, tail
    # only a missing optional library may skip a case, never a MyTorch or NumPy one
    for line in result.stdout.splitlines():
        if line.startswith("SKIPPED"):
            assert "torch" in line or "jax" in line, line


def _load_run_module():
    spec = importlib.util.spec_from_file_location("benchmarks_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake(group: str, lib: str, median: float, **info) -> dict:
    return {"group": group, "name": f"test[{lib}]", "params": {"lib": lib},
            "stats": {"median": median, "min": median * 0.9},
            "extra_info": {"library": lib, **info}}


def test_run_report_gives_ratio_to_mytorch_and_gflops():
    run = _load_run_module()
    report = {"benchmarks": [
        _fake("conv forward: conv1", "mytorch", 0.002, gflops=5.0,
              fraction_of_matmul_peak=0.05, matmul_peak_gflops=100.0),
        _fake("conv forward: conv1", "torch", 0.004, gflops=2.5, fraction_of_matmul_peak=0.025),
        _fake("conv forward: conv1", "numpy", 0.001),
    ]}
    text = run.format_report(report)
    assert "### conv forward: conv1" in text
    assert "torch/mytorch = 2.00x" in text
    assert "numpy/mytorch = 0.50x" in text
    assert "| mytorch | 2.00 ms | 1.80 ms | baseline | 5.0 | 5.0 % |" in text
    assert "100 GFLOP/s" in text
