"""Run the benchmark suite and print a Markdown report (one table per group).

Usage (from the repository root):
    python benchmarks/run.py              # full run, a few minutes
    python benchmarks/run.py --quick      # fewer rounds, about a minute
    python benchmarks/run.py -k conv      # only tests matching a pytest -k expression
    python benchmarks/run.py --threads 1  # Numba, PyTorch, BLAS and XLA on one thread
    python benchmarks/run.py --json out.json   # keep pytest-benchmark's JSON

Any other argument is passed to pytest. pytest's own progress is shown while it runs;
the report follows. Times are medians over the rounds pytest-benchmark ran; "torch/mytorch
= 2.1x" means PyTorch took 2.1 times as long as MyTorch.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LIBS = ("mytorch", "torch", "jax", "numpy")
QUICK_ARGS = ["--benchmark-min-rounds=3", "--benchmark-max-time=0.2"]
# A full run warms every case up before timing it (the same for every library): the first
# calls after a library's first use run on cold caches and sleeping threads.
FULL_ARGS = ["--benchmark-warmup=on", "--benchmark-warmup-iterations=20"]


def format_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def _groups(benchmarks: list[dict]) -> dict[str, dict[str, dict]]:
    """{group: {library: benchmark}} in the order the suite ran them."""
    groups: dict[str, dict[str, dict]] = {}
    for bench in benchmarks:
        lib = bench["extra_info"].get("library") or (bench.get("params") or {}).get("lib")
        groups.setdefault(bench["group"] or bench["name"], {})[lib] = bench
    return groups


def _ratio(bench: dict, base: dict | None) -> float | None:
    if base is None:
        return None
    return bench["stats"]["median"] / base["stats"]["median"]


def _header(report: dict, load: tuple[str, str]) -> list[str]:
    first = report["benchmarks"][0]["extra_info"] if report["benchmarks"] else {}
    cpu = report.get("machine_info", {}).get("cpu", {})
    threads = ", ".join(f"{k} {v}" for k, v in first.get("threads", {}).items())
    versions = ", ".join(f"{k} {v}" for k, v in first.get("versions", {}).items())
    peak = next((b["extra_info"]["matmul_peak_gflops"] for b in report["benchmarks"]
                 if "matmul_peak_gflops" in b["extra_info"]), None)
    lines = ["## MyTorch speed: PyTorch eager, JAX jit and plain NumPy", "",
             f"- Machine: {cpu.get('brand_raw', 'unknown CPU')}, {cpu.get('count', '?')} "
             f"logical cores; load average before / after the run: {load[0]} / {load[1]}",
             f"- Threads: {threads}", f"- Versions: {versions}"]
    if peak:
        lines.append(f"- float32 matmul peak, measured at the start of this run (np.matmul "
                     f"2048x2048, best of 5): {peak:.0f} GFLOP/s. On a busy machine a fraction "
                     f"above 100 % means the peak was measured at a busier moment (or that "
                     f"library's GEMM beats NumPy's OpenBLAS).")
    lines += ["- Times are medians. `lib/mytorch = 2.0x` means lib took twice as long as "
              "MyTorch (above 1: MyTorch is faster). GFLOP/s from analytic FLOP counts "
              "(approximate for element-wise kernels).", ""]
    return lines


def _summary(groups: dict[str, dict[str, dict]]) -> list[str]:
    present = [lib for lib in LIBS if any(lib in g for g in groups.values())]
    others = [lib for lib in present if lib != "mytorch"]
    lines = ["### Summary", "",
             "| benchmark | mytorch median | " + " | ".join(f"{lib}/mytorch" for lib in others)
             + " |", "|---|---:|" + "---:|" * len(others)]
    for name, libs in groups.items():
        base = libs.get("mytorch")
        cells = [format_time(base["stats"]["median"]) if base else "—"]
        for lib in others:
            ratio = _ratio(libs[lib], base) if lib in libs else None
            cells.append(f"{ratio:.2f}x" if ratio is not None else "—")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""]


def _group_table(name: str, libs: dict[str, dict]) -> list[str]:
    base = libs.get("mytorch")
    lines = [f"### {name}", "",
             "| library | median | min | vs mytorch | GFLOP/s | % of matmul peak |",
             "|---|---:|---:|---:|---:|---:|"]
    for lib in sorted(libs, key=lambda l: LIBS.index(l) if l in LIBS else len(LIBS)):
        bench = libs[lib]
        info, stats = bench["extra_info"], bench["stats"]
        ratio = _ratio(bench, base)
        versus = ("baseline" if lib == "mytorch"
                  else f"{lib}/mytorch = {ratio:.2f}x" if ratio is not None else "—")
        gflops = f"{info['gflops']:.1f}" if "gflops" in info else "—"
        fraction = info.get("fraction_of_matmul_peak")
        peak = f"{100 * fraction:.1f} %" if fraction is not None else "—"
        lines.append(f"| {lib} | {format_time(stats['median'])} | {format_time(stats['min'])} "
                     f"| {versus} | {gflops} | {peak} |")
    return lines + [""]


def format_report(report: dict, load: tuple[str, str] = ("?", "?")) -> str:
    """The Markdown report for a pytest-benchmark JSON document."""
    benchmarks = [b for b in report.get("benchmarks", []) if b.get("stats")]
    report = {**report, "benchmarks": benchmarks}
    if not benchmarks:
        return "No benchmark results (were they all skipped, deselected or disabled?)."
    groups = _groups(benchmarks)
    lines = _header(report, load) + _summary(groups)
    for name, libs in groups.items():
        lines += _group_table(name, libs)
    return "\n".join(lines)


def _load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        return "?"


def _thread_env(threads: int) -> dict[str, str]:
    """Environment that puts every library's pool on ``threads`` threads (PyTorch follows
    Numba in conftest.py; XLA can only be told 'one thread' or 'all cores')."""
    env = {name: str(threads) for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS",
                                           "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    if threads == 1:
        env["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                            " intra_op_parallelism_threads=1").strip()
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few rounds (" +
                        " ".join(QUICK_ARGS) + ")")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression")
    parser.add_argument("--threads", type=int, help="threads for every library")
    parser.add_argument("--json", help="keep pytest-benchmark's JSON at this path")
    args, pytest_args = parser.parse_known_args(argv)

    json_path = args.json or tempfile.mkstemp(prefix="mytorch-bench-", suffix=".json")[1]
    command = [sys.executable, "-m", "pytest", str(BENCH_DIR), "-v", "--benchmark-quiet",
               f"--benchmark-json={json_path}"]
    command += QUICK_ARGS if args.quick else FULL_ARGS
    if args.keyword:
        command += ["-k", args.keyword]
    command += pytest_args
    env = dict(os.environ)
    if args.threads:
        env.update(_thread_env(args.threads))

    print("$", " ".join(command), flush=True)
    load_before = _load_average()
    returncode = subprocess.call(command, cwd=ROOT, env=env)
    load_after = _load_average()
    try:
        with open(json_path) as f:
            report = json.load(f)
    except (OSError, json.JSONDecodeError):
        print(f"pytest exited with {returncode} and wrote no benchmark JSON", file=sys.stderr)
        return returncode or 1
    finally:
        if not args.json and os.path.exists(json_path):
            os.unlink(json_path)
    print()
    print(format_report(report, (load_before, load_after)))
    return returncode


if __name__ == "__main__":
    sys.exit(main())
