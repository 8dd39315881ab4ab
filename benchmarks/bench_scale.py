"""The scale benchmark of issue 5: every measure in one run, alternating the runs.

    python benchmarks/bench_scale.py [--runs 3] [--skip-copies]

Measures (median of ``--runs``; each round runs every measure once, in turn):

- cold: `netra-ws-lint check DIR` of this interpreter's standard library (no
  site-packages, no test folders, no idlelib; project mode, empty cache, default
  --jobs) vs a single-process `ast.parse` of the same files (the floor); target <= 0.60
- cold-files: the same files named one by one (per-file mode) vs the floor
- warm: the same run again, nothing changed; target <= 0.05 of the floor
- pre-commit: 5 files of a few hundred lines vs `python -c pass`; target <= 6x
- flake8: `flake8` with the plugin vs without it on the same 150 files; target <= 15%
- peak memory (max RSS of one process) of the cold run; target <= 300 MB
- cold time for 1x, 2x and 4x copies of the corpus (must grow linearly)

Not a test: the numbers depend on the machine; the README reports them.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

SKIP_DIRS = {"site-packages", "dist-packages", "idlelib", "__pycache__"}
EXCLUDES = "site-packages,dist-packages,idlelib,test*/,tests/"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
LINT = [sys.executable, "-m", "netra_ws_lint", "check", "--exit-zero", "--statistics",
        "--no-respect-gitignore"]
# flake8 without the plugin: the same flake8, with the NWS entry point filtered out
FLAKE8_WITHOUT = (
    "import flake8.plugins.finder as f\n"
    "orig = f._find_importlib_plugins\n"
    "f._find_importlib_plugins = lambda: (p for p in orig() if p.package != 'netra-ws-lint')\n"
    "from flake8.main.cli import main\n"
    "raise SystemExit(main())\n"
)
FLAKE8_WITH = "from flake8.main.cli import main\nraise SystemExit(main())\n"


def stdlib_files(root: Path = STDLIB) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("test"))
        out += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py")]
    return out


def parse_all(files: list[Path]) -> float:
    start = time.perf_counter()
    for f in files:
        with contextlib.suppress(SyntaxError, ValueError):
            ast.parse(f.read_bytes(), filename=str(f))
    return time.perf_counter() - start


CPU: dict[str, list[float]] = {}  # CPU seconds (user + system, all processes) by label


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], cwd: Path | None = None, ok: tuple[int, ...] = (0,),
          label: str | None = None) -> float:
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    elapsed = time.perf_counter() - start
    if label:
        CPU.setdefault(label, []).append(_children_cpu() - cpu)
    if proc.returncode not in ok or "NWS901" in proc.stdout:
        sys.exit(f"{cmd[:6]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}"
                 f"\n{proc.stderr[-2000:]}")
    return elapsed


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def make_copies(files: list[Path], n: int, base: Path) -> Path:
    """``n`` copies of ``files`` (by their path below the stdlib) under ``base/xN``."""
    top = base / f"x{n}"
    if top.exists():
        return top
    for i in range(n):
        for f in files:
            target = top / f"copy{i}" / f.relative_to(STDLIB)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
    return top


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-copies", action="store_true")
    args = ap.parse_args()
    files = stdlib_files()
    lines = sum(f.read_bytes().count(b"\n") for f in files)
    mid = sorted((f for f in files if 200 <= f.read_bytes().count(b"\n") <= 500), key=str)
    precommit = mid[:: max(1, len(mid) // 5)][:5]
    flake_files = files[:: max(1, len(files) // 150)][:150]
    work = Path(tempfile.mkdtemp(prefix="nws-bench-"))
    cache = work / "cache"
    copies = {} if args.skip_copies else {n: make_copies(files, n, work) for n in (1, 2, 4)}
    t: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        t.setdefault(key, []).append(value)

    lint_dir = [*LINT, "--extend-exclude", EXCLUDES]
    rss = 0.0
    try:
        for _ in range(args.runs):
            add("parse", parse_all(files))
            shutil.rmtree(cache, ignore_errors=True)
            before = max_rss_mb()
            add("cold", timed([*lint_dir, "--cache-dir", str(cache), str(STDLIB)], label="cold"))
            rss = max(rss, max_rss_mb(), before)
            add("warm", timed([*lint_dir, "--cache-dir", str(cache), str(STDLIB)], label="warm"))
            add("cold-files", timed([*LINT, "--no-cache", *map(str, files)], label="cold-files"))
            add("cold-1job", timed([*lint_dir, "--no-cache", "-j", "1", str(STDLIB)],
                                   label="cold-1job"))
            add("pass", timed([sys.executable, "-c", "pass"]))
            add("precommit", timed([*LINT, "--no-cache", *map(str, precommit)]))
            add("precommit-warm", timed([*LINT, "--cache-dir", str(cache),
                                         *map(str, precommit)]))
            flake = ["--select", "E,W,F,C90,NWS", "--exit-zero", *map(str, flake_files)]
            add("flake8-without", timed([sys.executable, "-c", FLAKE8_WITHOUT, *flake]))
            add("flake8-with", timed([sys.executable, "-c", FLAKE8_WITH, *flake]))
            for n, top in copies.items():
                add(f"copies{n}", timed([*lint_dir, "--no-cache", str(top)]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    m = {k: statistics.median(v) for k, v in t.items()}
    p = m["parse"]
    pre_lines = sum(f.read_bytes().count(b"\n") for f in precommit)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}; "
          f"median of {args.runs} alternating rounds")
    print(f"corpus: stdlib, {len(files)} files, {lines} lines")
    print(f"ast.parse, one process (floor):        {p:6.2f} s")
    print(f"cold check (project mode, cache written): {m['cold']:6.2f} s  "
          f"ratio {m['cold'] / p:.2f}  (target <= 0.60)")
    print(f"cold check, -j 1:                        {m['cold-1job']:6.2f} s  "
          f"ratio {m['cold-1job'] / p:.2f}")
    print(f"cold check, files named (per file):      {m['cold-files']:6.2f} s  "
          f"ratio {m['cold-files'] / p:.2f}")
    cpu = {k: statistics.median(v) for k, v in CPU.items()}
    print("CPU seconds, all processes (less sensitive to other load than wall time): "
          + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    print(f"warm check (nothing changed):            {m['warm']:6.2f} s  "
          f"ratio {m['warm'] / p:.3f}  (target <= 0.05)")
    print(f"pre-commit: {len(precommit)} files, {pre_lines} lines: cold {m['precommit']:.3f} s, "
          f"warm {m['precommit-warm']:.3f} s; python -c pass {m['pass']:.3f} s; "
          f"ratio {m['precommit'] / m['pass']:.1f}x / {m['precommit-warm'] / m['pass']:.1f}x "
          f"(target <= 6x)")
    fw, fo = m["flake8-with"], m["flake8-without"]
    print(f"flake8 on {len(flake_files)} files: without plugin {fo:.2f} s, with {fw:.2f} s, "
          f"overhead {100 * (fw - fo) / fo:.0f}% (target <= 15%)")
    print(f"peak memory of the cold run (max RSS of one process): {rss:.0f} MB (target <= 300)")
    if copies:
        base = m["copies1"]
        print("cold time by corpus size: " + ", ".join(
            f"{n}x {len(files) * n} files {m[f'copies{n}']:.2f} s "
            f"({m[f'copies{n}'] / (n * base):.2f} of linear)" for n in copies))


if __name__ == "__main__":
    main()
