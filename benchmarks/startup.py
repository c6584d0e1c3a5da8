"""Start-up cost: import plus mytorch.warmup(), with Numba's cache cold and warm.

    python benchmarks/startup.py

Each measurement runs in a fresh interpreter. The cold run uses an empty temporary
NUMBA_CACHE_DIR, so every kernel is compiled; the warm runs reuse it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

CODE = ("import time; t0 = time.perf_counter(); import mytorch; t1 = time.perf_counter(); "
        "mytorch.warmup(); t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")


def measure(env: dict) -> tuple[float, float]:
    done = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True,
                          text=True, check=True)
    first, second = done.stdout.split()
    return float(first), float(second)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        rows = [("cold (compiles every kernel)", *measure(env))]
        rows += [(f"warm run {i + 1} (kernels from the cache)", *measure(env)) for i in range(3)]
    print("| start-up | import | warmup() | total |")
    print("| --- | ---: | ---: | ---: |")
    for name, imported, warmed in rows:
        print(f"| {name} | {imported:.2f} s | {warmed:.2f} s | {imported + warmed:.2f} s |")


if __name__ == "__main__":
    main()
