"""Time `netra-ws-lint check` on this interpreter's standard library against a plain
single-process `ast.parse` of the same files (the floor), alternating runs.

    python benchmarks/bench_stdlib.py [--runs 3] [--audit]

Prints files, lines, the median seconds of each, and the ratio check / parse.
Not a test: numbers depend on the machine; the README reports them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# the same corpus and floor as bench_scale.py (this script sits beside it)
from bench_scale import parse_all, stdlib_files


def check_all(files: list[Path], extra: list[str]) -> float:
    cmd = [sys.executable, "-m", "netra_ws_lint", "check", "--exit-zero", "--statistics",
           "--no-respect-gitignore", *extra, *map(str, files)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or "NWS901" in proc.stdout:
        sys.exit(f"check failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--audit", action="store_true")
    args = ap.parse_args()
    files = stdlib_files()
    lines = sum(f.read_bytes().count(b"\n") for f in files)
    extra = ["--audit"] if args.audit else []
    parse_t, check_t = [], []
    for _ in range(args.runs):
        parse_t.append(parse_all(files))
        check_t.append(check_all(files, extra))
    p, c = statistics.median(parse_t), statistics.median(check_t)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; stdlib: {len(files)} files, {lines} lines")
    print(f"ast.parse (one process): {p:.2f} s")
    print(f"netra-ws-lint check{' --audit' if args.audit else ''}: {c:.2f} s")
    print(f"ratio check / parse: {c / p:.2f}")


if __name__ == "__main__":
    main()
