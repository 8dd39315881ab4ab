"""Running both front ends as a user does, for the robustness tests: the CLI in this
process (``cli.main``) or as a subprocess, and flake8 as a subprocess (with every
plugin, or with only ours when another plugin cannot cope with the input)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from netra_ws_lint.cli.main import main

FORMAT = "%(path)s:%(row)d:%(col)d:%(code)s"
FINDING_RE = re.compile(r"^(.*?):\d+:\d+: ?([A-Z]+[0-9]+)\b")
# flake8 with only the netra-ws-lint checker (pyflakes and pycodestyle recurse and die on
# inputs we must survive, and take minutes on a 10 MB file)
ONLY_NWS = (
    "import sys\n"
    "from flake8.plugins import finder\n"
    "_real = finder.find_plugins\n"
    "def _only_nws(*a, **k):\n"
    "    return [p for p in _real(*a, **k)\n"
    "            if p.entry_point.group != 'flake8.extension' or p.entry_point.name == 'NWS']\n"
    "finder.find_plugins = _only_nws\n"
    "from flake8.main.cli import main\n"
    "sys.exit(main())\n"
)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return self.out.splitlines()

    def codes(self, name: str | None = None) -> list[str]:
        """Codes reported (for one file name when given), in output order; both
        ``path:line:col: CODE message`` and flake8's ``path:row:col:CODE``."""
        out = []
        for line in self.lines():
            m = FINDING_RE.match(line)
            if m and (name is None or Path(m.group(1)).name == name):
                out.append(m.group(2))
        return out


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """``netra-ws-lint ARGV`` in this process (the working directory is the caller's)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert_clean_stderr(err)
    return Run(code, out, err)


def cli_subprocess(cwd: Path, *argv: str | bytes, timeout: float = 120) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "netra_ws_lint", *argv],
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
    )
    out = proc.stdout.decode("utf-8", "surrogateescape")
    err = proc.stderr.decode("utf-8", "surrogateescape")
    assert_clean_stderr(err)
    return Run(proc.returncode, out, err)


def flake8(
    cwd: Path, *paths: str | bytes, only_nws: bool = False, timeout: float = 120,
    extra: Sequence[str] = (),
) -> Run:
    """flake8 as a subprocess, findings in ``path:row:col:code`` lines. Any error that
    flake8 reports is allowed, except one from our plugin."""
    argv: list[str | bytes] = (
        [sys.executable, "-c", ONLY_NWS] if only_nws else [sys.executable, "-m", "flake8"]
    )
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:surrogateescape"}
    proc = subprocess.run(
        [*argv, f"--format={FORMAT}", *extra, *paths],
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        env=env,
    )
    out = proc.stdout.decode("utf-8", "surrogateescape")
    err = proc.stderr.decode("utf-8", "surrogateescape")
    assert_plugin_did_not_fail(err + out)  # (older flake8 reports plugin failures on stdout)
    return Run(proc.returncode, out, err)


def assert_clean_stderr(err: str) -> None:
    """No traceback and no internal error: every problem is a one-line message."""
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    for line in err.splitlines():
        assert line.startswith("netra-ws-lint: "), err


def assert_plugin_did_not_fail(err: str) -> None:
    """flake8 itself may fail on input that ``ast`` cannot parse; our plugin never."""
    assert "netra-ws-lint[NWS]" not in err and '"NWS"' not in err, err
    assert "netra_ws_lint" not in err, err  # no frame of ours in a traceback
