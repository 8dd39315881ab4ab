"""The speed benchmark: every figure of the speed table as a ratio measured in one run.

    python benchmarks/bench_speed.py [--runs 3] [--sizes 5000,20000] [--skip-corpora]
                                     [--project DIR ...]

Corpora, each a project of its own in a temporary directory (never in the repository):
this interpreter's standard library (copied, as bench_scale.py selects it), the shared
corpora (``../shared/corpora/*.tar.gz`` beside the repository, or ``--corpora DIR``,
unpacked at run time), copies of any ``--project`` folder (a real backend of 1,000+
modules, say) and generated projects (``gen_project.py``: re-export chains and
cross-module calls) of ``--sizes`` modules, for growth. docs/performance.md reports
the numbers.

For each corpus (medians of ``--runs`` rounds; wall seconds and, less sensitive to the
other load of a shared machine, CPU seconds of all processes):

- cold: ``check .`` from the corpus's root (as a developer or CI runs it; without a
  configuration file the settings' root is the working directory, so where a run starts
  is part of what its results depend on) with an empty cache vs a one-process
  ``ast.parse`` of the same files (the floor); target <= 2.0 (moonshot 1.0)
- warm: the same run again, nothing changed, vs the floor; target <= 0.08
- pre-commit: 5 files of a few hundred lines named, warm cache, vs ``python -c pass``;
  target <= 4. Run as pre-commit runs a hook: in a git repository (a corpus that is
  not one is made one, ``git init``), from its root, the files named relative to it
- flake8 on one large file (the one nearest 3,500 lines): ``flake8`` with the plugin vs
  the same flake8 with the plugin's entry point filtered out, after a ``check .`` with
  default options (as a developer has run it); target <= +15%
- 1 vs 2 workers: cold ``check DIR --no-cache -j 1`` / ``-j 2`` (not on the generated
  projects)
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

from bench_scale import (
    CPU,
    FLAKE8_WITH,
    FLAKE8_WITHOUT,
    LINT,
    make_copies,
    parse_all,
    stdlib_files,
    timed,
)
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


def big_file(files: list[Path], lines: int = 3500) -> Path:
    """The file whose length is nearest ``lines`` (the flake8 row: one large file)."""
    return min(files, key=lambda f: (abs(f.read_bytes().count(b"\n") - lines), str(f)))


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

    def corpus(
        self, name: str, root: Path, work: Path, runs: int, full: bool = True, jobs: bool = True
    ) -> None:
        """Measure one corpus ``runs`` times (``full``: also pre-commit and flake8 on one
        large file; ``jobs``: -j 1 / -j 2)."""
        files = python_files(root)
        cache = work / f"cache-{name}"
        pre = [str(f.relative_to(root)) for f in precommit_files(files)]
        big = big_file(files)
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
                # flake8 as a developer runs it after `check .` (the default cache at the
                # project's root, default options): with the plugin vs without it
                base = LINT[: LINT.index("check")]
                timed([*base, "check", "--exit-zero", "-q", "."], cwd=root)
                rel = str(big.relative_to(root))
                for key, code in (("flake8", FLAKE8_WITHOUT), ("flake8+nws", FLAKE8_WITH)):
                    wall = timed([sys.executable, "-c", code, "--select", "E,W,F,C90,NWS", rel],
                                 cwd=root, ok=(0, 1), label=f"{name}:{key}")
                    self.add(f"{name}:{key}", wall, CPU[f"{name}:{key}"][-1])
            if jobs:
                self.timed(f"{name}:j1", [*LINT, "--no-cache", "-j", "1", str(root)])
                self.timed(f"{name}:j2", [*LINT, "--no-cache", "-j", "2", str(root)])
            self.timed("pass", [sys.executable, "-c", "pass"])
            self.timed("version", [sys.executable, "-m", "netra_ws_lint", "--version"])
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(root / ".netra-ws-lint-cache", ignore_errors=True)
        self.peak[name] = peak_mb([*LINT, "--no-cache", str(root)])
        lines = sum(f.read_bytes().count(b"\n") for f in files)
        self.peak[f"{name}:size"] = float(len(files))
        self.peak[f"{name}:lines"] = float(lines)
        self.peak[f"{name}:big"] = float(big.read_bytes().count(b"\n"))

    def row(self, name: str, full: bool = True, jobs: bool = True) -> str:
        fw, fc = self.w(f"{name}:floor"), self.c(f"{name}:floor")
        pw, pc = self.w("pass"), self.c("pass")

        def ratio(key: str, base_w: float, base_c: float) -> str:
            return f"{self.w(key) / base_w:.2f} ({self.c(key) / base_c:.2f})"

        pre = ratio(f"{name}:precommit", pw, pc) if full else "-"
        flake = "-"
        if full:
            over_w = self.w(f"{name}:flake8+nws") / self.w(f"{name}:flake8") - 1
            over_c = self.c(f"{name}:flake8+nws") / self.c(f"{name}:flake8") - 1
            flake = (f"{int(self.peak[f'{name}:big'])} lines: {100 * over_w:+.0f}%"
                     f" ({100 * over_c:+.0f}%)")
        par = "-"
        if jobs:
            par = (f"{self.w(f'{name}:j1') / self.w(f'{name}:j2'):.2f}"
                   f" ({self.c(f'{name}:j1') / self.c(f'{name}:j2'):.2f})")
        return (
            f"| {name} | {int(self.peak[f'{name}:size'])} / {int(self.peak[f'{name}:lines'])}"
            f" | {fw:.2f} ({fc:.2f}) | {ratio(f'{name}:cold', fw, fc)}"
            f" | {ratio(f'{name}:warm', fw, fc)} | {pre} | {flake}"
            f" | {par} | {self.peak[name]:.0f} |"
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
    ap.add_argument("--project", type=Path, action="append", default=[],
                    help="also measure a copy of this project (a folder; repeatable)")
    args = ap.parse_args()
    compileall.compile_dir(HERE.parent / "netra_ws_lint", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="nws-speed-"))
    bench = Bench(args.runs)
    names: list[tuple[str, bool, bool]] = []
    try:
        if not args.skip_stdlib:
            std = make_copies(stdlib_files(), 1, work / "stdlib") / "copy0"
            (std / "pyproject.toml").write_text("[tool.netra-ws-lint]\n")  # one project
            bench.corpus("stdlib", std, work, args.runs)
            names.append(("stdlib", True, True))
        if not args.skip_corpora:
            for archive in sorted(args.corpora.glob("*.tar.gz")):
                dest = work / "corpora"
                with tarfile.open(archive) as tar:
                    tar.extractall(dest)
                name = archive.name.split("-")[0]
                bench.corpus(name, dest / name, work, args.runs)
                names.append((name, True, True))
        for project in args.project:
            name = project.resolve().name
            copy = work / "projects" / name
            shutil.copytree(project, copy, symlinks=True,
                            ignore=shutil.ignore_patterns(".netra-ws-lint-cache", ".git"))
            bench.corpus(name, copy, work, args.runs)
            names.append((name, True, True))
        sizes = [int(s) for s in args.sizes.split(",") if s]
        for n in sizes:
            root = make_project(work / f"gen{n}", n)
            git_repository(root)
            bench.corpus(f"gen{n}", root, work, args.gen_runs or args.runs, jobs=False)
            names.append((f"gen{n}", True, False))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"rounds on the generated projects: {args.gen_runs or args.runs}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
          f"median of {args.runs} rounds; {time.strftime('%Y-%m-%d')}")
    print("ratios: wall (CPU seconds of all processes)")
    print("| corpus | files / lines | floor s | cold / floor | warm / floor "
          "| pre-commit 5 files / `python -c pass` | flake8 on one file: plugin's cost "
          "| -j1 / -j2 | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, pre, jobs in names:
        print(bench.row(name, pre, jobs))
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
