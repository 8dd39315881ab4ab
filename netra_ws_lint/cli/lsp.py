"""``netra-ws-lint server``: the language server for editors (see :mod:`.server`).

The server answers ``initialize`` before it imports anything heavy: the language server
library and the linter take about a second to import, and an editor waits on that
answer. The first message is read here; when it is ``initialize``, its answer (the
server's capabilities, which do not depend on the project) is written at once, then
the server starts with that message replayed to it (its own answer to it is dropped),
and does its work (imports, the project model) after the handshake.
"""

from __future__ import annotations

import argparse
import json
from typing import IO, Any, TextIO

from netra_ws_lint import __version__
from netra_ws_lint.cli import PROG

NAME = "netra-ws-lint"
_ENCODINGS = ("utf-8", "utf-16", "utf-32")  # what the server's position codec knows


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser(
        "server",
        help="run the language server (LSP over stdio) for editors",
        description="Run the language server on stdin/stdout: diagnostics, quick fixes "
        "and rule docs on hover (needs the lsp extra: pip install 'netra-ws-lint[lsp]').",
    )
    cmd.set_defaults(run=run)


def capabilities(params: Any) -> dict[str, Any]:
    """The server's capabilities for a client's ``initialize`` params: those the
    language server library computes from the server's features
    (tests/test_lsp.py keeps them equal)."""
    encoding = "utf-16"
    general = params.get("capabilities", {}).get("general") if isinstance(params, dict) else None
    offered = general.get("positionEncodings") if isinstance(general, dict) else None
    if isinstance(offered, list):
        encoding = next((e for e in offered if e in _ENCODINGS), encoding)
    return {
        "positionEncoding": encoding,
        "textDocumentSync": {
            "openClose": True,
            "change": 2,
            "willSave": False,
            "willSaveWaitUntil": False,
            "save": True,
        },
        "hoverProvider": True,
        "codeActionProvider": {
            "codeActionKinds": ["quickfix", "source.fixAll"],
            "resolveProvider": False,
        },
        "executeCommandProvider": {"commands": []},
        "workspace": {
            "workspaceFolders": {"supported": True, "changeNotifications": True},
            "fileOperations": {},
        },
    }


def read_message(stream: IO[bytes]) -> tuple[bytes, Any] | None:
    """One JSON-RPC message: its raw bytes (headers included) and its body, or None
    at the end of the stream or for a message that is not one."""
    raw = b""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        raw += line
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return None
    if length is None or length < 0:
        return None
    body = stream.read(length)
    raw += body
    try:
        return raw, json.loads(body)
    except ValueError:
        return raw, None


def frame(message: dict[str, Any]) -> bytes:
    data = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


def answer_initialize(stdin: IO[bytes], stdout: IO[bytes]) -> tuple[bytes, Any]:
    """Read the first message; when it is ``initialize``, answer it. Returns the
    bytes read (replayed to the server) and the id answered (None: not answered)."""
    first = read_message(stdin)
    if first is None:
        return b"", None
    raw, msg = first
    if not isinstance(msg, dict) or msg.get("method") != "initialize" or "id" not in msg:
        return raw, None
    result = {
        "capabilities": capabilities(msg.get("params")),
        "serverInfo": {"name": NAME, "version": __version__},
    }
    stdout.write(frame({"id": msg["id"], "result": result}))
    stdout.flush()
    return raw, msg["id"]


def _missing() -> str | None:
    """What the language server needs and cannot import (found without importing it:
    the handshake comes first), or None."""
    from importlib.util import find_spec

    for name in ("pygls", "lsprotocol", "netra_ws_lint.cli.server"):
        try:
            found = find_spec(name)
        except (ImportError, ValueError):
            found = None
        if found is None:
            return name
    return None


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    import sys

    missing = _missing()
    if missing is not None:
        print(
            f"{PROG}: error: the language server needs pygls (cannot import {missing}); "
            "install it with: pip install 'netra-ws-lint[lsp]'",
            file=stderr,
        )
        return 2
    prelude, answered = answer_initialize(sys.stdin.buffer, sys.stdout.buffer)
    try:
        from netra_ws_lint.cli.server import serve
    except ImportError as exc:  # found but broken: said on stderr, as before
        print(f"{PROG}: error: the language server cannot start ({exc})", file=stderr)
        return 2
    serve(prelude, answered)
    return 0
