"""The pytest plugin (entry point ``netra_ws_lint``): ``pytest --nws-sentinel``.

``--nws-sentinel`` is a flag; the mode is ``--nws-sentinel-mode fail|warn`` or the ini
key ``nws_sentinel_mode`` (``--nws-sentinel=warn``, the spelling of earlier versions,
still works). The sentinel never aborts a session nor changes what a test sees: an
object it cannot wrap without that risk is reported as "not watched, because ...".

Without the option this module only adds its options and the ``nws_user`` fixture:
nothing of the linter is imported and nothing is wrapped.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from netra_ws_lint.sentinel.session import Sentinel

_KEY = pytest.StashKey["Sentinel"]()


MODES = ("fail", "warn")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("netra-ws-lint", "netra-ws-lint runtime confirmation")
    group.addoption(
        "--nws-sentinel",
        action="store_true",
        default=False,
        help="watch the objects netra-ws-lint flags and report one user's data reaching "
        "another; a leak fails the run (see --nws-sentinel-mode)",
    )
    # the spelling of earlier versions, whose flag took an optional value: argparse
    # matches a whole registered option string before splitting at "=" (a flag with
    # an optional value swallowed the next argument: `--nws-sentinel tests`)
    for mode in MODES:
        group.addoption(
            f"--nws-sentinel={mode}",
            action="store_const",
            const=mode,
            dest="nws_sentinel_legacy",
            default=None,
            help=argparse.SUPPRESS,
        )
    group.addoption(
        "--nws-sentinel-mode",
        choices=MODES,
        default=None,
        help="fail: a confirmed leak fails the run (default); warn: report only "
        "(ini: nws_sentinel_mode)",
    )
    group.addoption(
        "--nws-sentinel-report",
        metavar="FILE",
        default=None,
        help="also write the sentinel's report as JSON to FILE",
    )
    group.addoption(
        "--nws-sentinel-path",
        action="append",
        default=[],
        metavar="PATH",
        help="the code to lint and watch (repeatable; default: the rootdir)",
    )
    parser.addini(
        "nws_sentinel_mode",
        "the sentinel's mode when --nws-sentinel is given: fail (default) or warn",
        default="",
    )


def sentinel_mode(config: pytest.Config) -> str | None:
    """The mode the session runs the sentinel in, or None when it is off: the
    command line's mode, else the ini key's, else ``fail``."""
    legacy = config.getoption("nws_sentinel_legacy", None)
    if not config.getoption("--nws-sentinel") and legacy is None:
        return None
    mode = config.getoption("--nws-sentinel-mode") or legacy
    if mode is None:
        ini = str(config.getini("nws_sentinel_mode") or "").strip()
        if ini and ini not in MODES:
            raise pytest.UsageError(
                f"nws_sentinel_mode = {ini!r}: expected one of {', '.join(MODES)}"
            )
        mode = ini or "fail"
    return str(mode)


def pytest_configure(config: pytest.Config) -> None:
    mode = sentinel_mode(config)
    if mode is None:
        return
    from netra_ws_lint.sentinel.session import Sentinel

    paths = config.getoption("--nws-sentinel-path") or [str(config.rootpath)]
    report = config.getoption("--nws-sentinel-report")
    config.stash[_KEY] = Sentinel(mode, paths, Path(report) if report else None)


def _sentinel(config: pytest.Config) -> Sentinel | None:
    return config.stash.get(_KEY, None)


def pytest_sessionstart(session: pytest.Session) -> None:
    s = _sentinel(session.config)
    if s is not None:
        s.start()


def pytest_collection_finish(session: pytest.Session) -> None:
    s = _sentinel(session.config)
    if s is not None:
        s.wrap()


def pytest_runtest_setup(item: pytest.Item) -> None:
    s = _sentinel(item.config)
    if s is not None:
        s.wrap()  # modules a test imports late


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    s = _sentinel(session.config)
    if s is not None:
        s.finish()
        if s.failed and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    s = _sentinel(config)
    if s is not None:
        s.summary(terminalreporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    s = _sentinel(config)
    if s is not None:
        s.stop()


@pytest.fixture
def nws_user() -> Any:
    """``with nws_user("alice"): ...`` runs the block as user ``alice``."""
    from netra_ws_lint.sentinel.identity import nws_user as act_as

    return act_as
