"""The speed benchmark: every figure of the speed table as a ratio measured in one run.

    python benchmarks/bench_speed.py [--runs 3] [--sizes 5000,20000] [--skip-corpora]

Corpora, each a project of its own in a temporary directory (never in the repository):
this interpreter's standard library (copied, as bench_scale.py selects it), the shared
corpora (``../shared/corpora/*.tar.gz`` beside the repository, or ``--corpora DIR``,
unpacked at run time) and generated projects (``gen_project.py``: re-export chains and
cross-module calls) of ``--sizes`` modules, for growth.

For each corpus (medians of ``--runs`` rounds; wall seconds and, less sensitive to the
other load of a shared machine, CPU seconds of all processes):

- cold: ``check .`` from the corpus's root (as a developer or CI runs it; without a
  configuration file the settings' root is the working directory, so where a run starts
  is part of what its results depend on) with an empty cache vs a one-process
  ``ast.parse`` of the same files (the floor); target <= 1.0
- warm: the same run again, nothing changed, vs the floor; target <= 0.10
- pre-commit: 5 files of a few hundred lines named, warm cache, vs ``python -c pass``;
  target <= 6. Run as pre-commit runs a hook: in a git repository (a corpus that is
  not one is made one, ``git init``), from its root, the files named relative to it
- 1 vs 2 workers: cold ``check DIR --no-cache -j 1`` / ``-j 2``
- peak memory: the largest resident set of one process of the cold run

and once: ``netra-ws-lint --version`` vs ``python -c pass`` (target <= 3), and the growth
exponent of cold time in modules between the generated sizes (target < 1.15; peak
memory at the largest under 300 MB). The package is byte-compiled first, as an
installed tool is. Not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import compileall
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench_scale import CPU, LINT, make_copies, parse_all, stdlib_files, timed
from gen_project import make_project

# The installed command, as a hook or CI runs it: run from a corpus's root,
# ``python -m`` would put that directory first on sys.path (the stdlib copy's modules
# would shadow the real ones)
_SCRIPT = Path(sys.executable).with_name("netra-ws-lint")
if _SCRIPT.exists():
    LINT = [str(_SCRIPT), *LINT[3:]]
elif sys.version_info >= (3, 11):
    LINT = [sys.executable, "-P", *LINT[1:]]

HERE = Path(__file__).resolve().parent
CORPORA = HERE.parents[1] / "shared" / "corpora"
SKIP = {"__pycache__", ".git", "node_modules", ".venv", "venv"}
PEAK = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def python_files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP and not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py")]
    return out


def floor(files: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds of a one-process ``ast.parse`` of ``files``."""
    cpu = time.process_time()
    wall = parse_all(files)
    return wall, time.process_time() - cpu


def peak_mb(cmd: list[str]) -> float:
    out = subprocess.run([sys.executable, "-c", PEAK, *cmd], capture_output=True, text=True)
    return int(out.stdout.strip() or 0) / 1024


def precommit_files(files: list[Path]) -> list[Path]:
    sized = sorted((f for f in files if 150 <= f.read_bytes().count(b"\n") <= 600), key=str)
    sized = sized or files
    return sized[:: max(1, len(sized) // 5)][:5]


def git_repository(root: Path) -> None:
    """Make ``root`` a git repository (pre-commit only runs in one; the project is then
    its root, whatever files a hook names), unless it is one."""
    if (root / ".git").exists():
        return
    try:
        subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        (root / ".git").mkdir()  # what the tool looks for: the repository's root


class Bench:
    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.peak: dict[str, float] = {}

    def add(self, key: str, wall: float, cpu: float) -> None:
        self.wall.setdefault(key, []).append(wall)
        self.cpu.setdefault(key, []).append(cpu)

    def timed(self, key: str, cmd: list[str], cwd: Path | None = None) -> None:
        wall = timed(cmd, cwd=cwd, label=key)
        self.add(key, wall, CPU[key][-1])

    def w(self, key: str) -> float:
        return statistics.median(self.wall[key])

    def c(self, key: str) -> float:
        return statistics.median(self.cpu[key])

    def corpus(self, name: str, root: Path, work: Path, runs: int, full: bool = True) -> None:
        """Measure one corpus ``runs`` times (``full``: also pre-commit and -j 1 / -j 2)."""
        files = python_files(root)
        cache = work / f"cache-{name}"
        pre = [str(f.relative_to(root)) for f in precommit_files(files)]
        if full:
            git_repository(root)
        lint = [*LINT, "--cache-dir", str(cache), "."]
        for _ in range(runs):
            self.add(f"{name}:floor", *floor(files))
            shutil.rmtree(cache, ignore_errors=True)
            self.timed(f"{name}:cold", lint, cwd=root)
            self.timed(f"{name}:warm", lint, cwd=root)
            if full:
                self.timed(f"{name}:precommit", [*LINT, "--cache-dir", str(cache), *pre],
                           cwd=root)
                self.timed(f"{name}:j1", [*LINT, "--no-cache", "-j", "1", str(root)])
                self.timed(f"{name}:j2", [*LINT, "--no-cache", "-j", "2", str(root)])
            self.timed("pass", [sys.executable, "-c", "pass"])
            self.timed("version", [sys.executable, "-m", "netra_ws_lint", "--version"])
        shutil.rmtree(cache, ignore_errors=True)
        self.peak[name] = peak_mb([*LINT, "--no-cache", str(root)])
        lines = sum(f.read_bytes().count(b"\n") for f in files)
        self.peak[f"{name}:size"] = float(len(files))
        self.peak[f"{name}:lines"] = float(lines)

    def row(self, name: str, full: bool = True) -> str:
        fw, fc = self.w(f"{name}:floor"), self.c(f"{name}:floor")
        pw, pc = self.w("pass"), self.c("pass")

        def ratio(key: str, base_w: float, base_c: float) -> str:
            return f"{self.w(key) / base_w:.2f} ({self.c(key) / base_c:.2f})"

        pre = ratio(f"{name}:precommit", pw, pc) if full else "-"
        jobs = "-"
        if full:
            jobs = (f"{self.w(f'{name}:j1') / self.w(f'{name}:j2'):.2f}"
                    f" ({self.c(f'{name}:j1') / self.c(f'{name}:j2'):.2f})")
        return (
            f"| {name} | {int(self.peak[f'{name}:size'])} / {int(self.peak[f'{name}:lines'])}"
            f" | {fw:.2f} ({fc:.2f}) | {ratio(f'{name}:cold', fw, fc)}"
            f" | {ratio(f'{name}:warm', fw, fc)} | {pre}"
            f" | {jobs} | {self.peak[name]:.0f} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="5000,20000", help="generated project sizes")
    ap.add_argument("--gen-runs", type=int, default=0,
                    help="rounds on the generated projects (default: --runs)")
    ap.add_argument("--corpora", type=Path, default=CORPORA)
    ap.add_argument("--skip-corpora", action="store_true")
    ap.add_argument("--skip-stdlib", action="store_true")
    args = ap.parse_args()
    compileall.compile_dir(HERE.parent / "netra_ws_lint", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="nws-speed-"))
    bench = Bench(args.runs)
    names: list[tuple[str, bool]] = []
    try:
        if not args.skip_stdlib:
            std = make_copies(stdlib_files(), 1, work / "stdlib") / "copy0"
            (std / "pyproject.toml").write_text("[tool.netra-ws-lint]\n")  # one project
            bench.corpus("stdlib", std, work, args.runs)
            names.append(("stdlib", True))
        if not args.skip_corpora:
            for archive in sorted(args.corpora.glob("*.tar.gz")):
                dest = work / "corpora"
                with tarfile.open(archive) as tar:
                    tar.extractall(dest)  # noqa: S202 - our own shared archives
                name = archive.name.split("-")[0]
                bench.corpus(name, dest / name, work, args.runs)
                names.append((name, True))
        sizes = [int(s) for s in args.sizes.split(",") if s]
        for n in sizes:
            root = make_project(work / f"gen{n}", n)
            bench.corpus(f"gen{n}", root, work, args.gen_runs or args.runs, full=False)
            names.append((f"gen{n}", False))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"rounds on the generated projects: {args.gen_runs or args.runs}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
          f"median of {args.runs} rounds; {time.strftime('%Y-%m-%d')}")
    print("ratios: wall (CPU seconds of all processes)")
    print("| corpus | files / lines | floor s | cold / floor | warm / floor "
          "| pre-commit 5 files / `python -c pass` | -j1 / -j2 | peak MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, pre in names:
        print(bench.row(name, pre))
    print(f"`--version` / `python -c pass`: {bench.w('version') / bench.w('pass'):.2f} "
          f"({bench.c('version') / bench.c('pass'):.2f}); python -c pass "
          f"{bench.w('pass'):.3f} s")
    if len(sizes) >= 2:
        a, b = sizes[0], sizes[-1]
        for kind, get in (("wall", bench.w), ("CPU", bench.c)):
            exp = math.log(get(f"gen{b}:cold") / get(f"gen{a}:cold")) / math.log(b / a)
            print(f"growth exponent of cold time, {a} -> {b} modules ({kind}): {exp:.2f} "
                  "(target < 1.15)")


if __name__ == "__main__":
    main()
