"""``netra-ws-lint``: the standalone command line (CI gate, pre-commit hook).

Exit status: 0 no findings, 1 findings, 2 usage/configuration error or a file that
could not be read (the other files are still checked and reported). ``check
--strict-baseline`` also exits 1 while the baseline holds fixed findings.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from netra_ws_lint import __version__
from netra_ws_lint.cli import PROG

# command name -> the module of this package that holds its ``add_parser(sub)``; a run
# imports only the one it runs (``--version`` and ``rule`` never import the engine)
COMMANDS = {
    "check": "check",
    "baseline": "baseline",
    "init": "init",
    "migrate": "migrate",
    "rule": "rule",
    "server": "lsp",
    "show-vocabulary": "vocabulary",
}


def _command(name: str) -> ModuleType:
    """The command module ``name`` (imported only when that command runs; spelled out,
    since the package never imports a computed module name)."""
    if name == "check":
        from netra_ws_lint.cli import check

        return check
    if name == "baseline":
        from netra_ws_lint.cli import baseline

        return baseline
    if name == "init":
        from netra_ws_lint.cli import init

        return init
    if name == "migrate":
        from netra_ws_lint.cli import migrate

        return migrate
    if name == "lsp":
        from netra_ws_lint.cli import lsp

        return lsp
    if name == "vocabulary":
        from netra_ws_lint.cli import vocabulary

        return vocabulary
    from netra_ws_lint.cli import rule

    return rule


def build_parser(commands: Sequence[str] = tuple(COMMANDS)) -> argparse.ArgumentParser:
    """The command line parser, with the sub-parsers of ``commands`` (names)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find singletons and shared state that leak one user's data to another.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in dict.fromkeys(COMMANDS[c] for c in commands):
        _command(name).add_parser(sub)
    return parser


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    """A bare ``--add-noqa`` becomes ``--add-noqa=``: its reason is given only as
    ``--add-noqa=REASON``, so a path after it stays a path."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return out + list(argv[i:])
        out.append("--add-noqa=" if arg == "--add-noqa" else arg)
    return out


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse with the command's own parser, options and paths in any order
    (``baseline create --file B src``); errors show that command's usage."""
    commands: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            commands = action.choices
    if argv and argv[0] in commands:
        args = commands[argv[0]].parse_intermixed_args(argv[1:])
        args.command = argv[0]
        return args
    return parser.parse_args(argv)


def _lenient_streams() -> None:
    """File names that are not UTF-8 (``b"caf\\xe9.py"``) print as their own bytes on a
    UTF-8 stream, and anything a stream cannot encode prints escaped: output never
    fails on a name or a message."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or getattr(stream, "errors", None) != "strict":
            continue
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        with contextlib.suppress(ValueError, OSError):  # a closed or odd stream
            reconfigure(errors="surrogateescape" if encoding == "utf8" else "backslashreplace")


def _flush_stdout() -> None:
    """Flush stdout; when the reader has gone (``check | head -1``), send the rest to
    the null device so that exiting neither fails again nor changes the status."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # a closed or odd stream
        pass


def main(argv: Sequence[str] | None = None) -> int:
    _lenient_streams()
    arguments = _normalise_argv(sys.argv[1:] if argv is None else argv)
    if arguments == ["--version"]:
        print(f"{PROG} {__version__}")
        return 0
    command = arguments[:1] if arguments and arguments[0] in COMMANDS else tuple(COMMANDS)
    args = _parse(build_parser(command), arguments)
    # the program itself (not a call from other code): the process ends with the command
    args.one_shot = argv is None
    from netra_ws_lint.config import ConfigError

    try:
        status = int(args.run(args, sys.stdout, sys.stderr))
        _flush_stdout()
        return status
    except ConfigError as exc:
        # a message may name a path or quote a file of the checked repository
        from netra_ws_lint.report.escape import terminal

        message = "\n".join(terminal(line) for line in str(exc).split("\n"))
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # output cut short (`| head`) where the status was not known
        _flush_stdout()
        return 1
    except Exception as exc:  # a bug: one line, not a traceback (unless debugging)
        if os.environ.get("NETRA_WS_LINT_DEBUG"):
            raise
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (please report it; "
            "set NETRA_WS_LINT_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 2
