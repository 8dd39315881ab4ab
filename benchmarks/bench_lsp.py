"""The language server's waits, as an editor sees them: ``netra-ws-lint server`` driven
over stdio with JSON-RPC (no LSP library on this side).

Measured on a generated project (``gen_project.py``: N modules, default 1,200) with one
3,500-line module in it (generated modules' text concatenated: it imports and calls the
project's factories and getters):

- initialize: from starting the server process to its answer to ``initialize``;
- first diagnostics: from ``didOpen`` of the large module to its diagnostics (the
  project model is loaded then, or was loaded after ``initialized``);
- edit to diagnostics: from each ``didChange`` of the large module to its diagnostics,
  minus the server's debounce (0.3 s): the time spent checking the edit. Each edit
  comes a pause (``--pause``, 1 s) after the previous diagnostics, as a person types
  after reading them (the server takes the edit's facts after sending them).

The machine's load average is printed with the numbers (the server's checks share
the cores with whatever else runs).

    python benchmarks/bench_lsp.py [--modules N] [--edits K] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_project import make_project, module_text

DEBOUNCE = 0.3
BIG_LINES = 3500


def big_module(lines: int = BIG_LINES) -> str:
    """About ``lines`` lines: generated modules of the first package, one after the other."""
    parts: list[str] = []
    total, i = 0, 1
    while total < lines:
        text = module_text(i)
        parts.append(text)
        total += text.count("\n")
        i += 1
    return "\n\n".join(parts)


class Server:
    def __init__(self, cwd: Path) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "netra_ws_lint", "server"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.messages: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            body = json.loads(out.read(length))
            self.messages.put((time.perf_counter(), body))

    def send(self, message: dict[str, Any]) -> float:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()
        return time.perf_counter()

    def request(self, method: str, params: Any) -> int:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def notify(self, method: str, params: Any) -> float:
        return self.send({"method": method, "params": params})

    def wait(self, want: Any, timeout: float = 600) -> tuple[float, dict[str, Any]]:
        deadline = time.perf_counter() + timeout
        while True:
            at, msg = self.messages.get(timeout=max(0.01, deadline - time.perf_counter()))
            if msg.get("method") == "workspace/configuration" and "id" in msg:
                self.send({"id": msg["id"], "result": [None]})
                continue
            if want(msg):
                return at, msg

    def close(self) -> None:
        self.request("shutdown", None)
        self.notify("exit", None)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def diagnostics_of(uri: str, version: int | None = None) -> Any:
    def match(msg: dict[str, Any]) -> bool:
        if msg.get("method") != "textDocument/publishDiagnostics":
            return False
        p = msg["params"]
        return bool(p["uri"] == uri and (version is None or p.get("version") == version))

    return match


def measure(root: Path, edits: int, pause: float = 1.0, big: Path | None = None) -> dict[str, Any]:
    big = big or root / "app" / "p0" / "big.py"
    text = big.read_text()
    uri = big.as_uri()
    server = Server(root)
    init_id = server.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": "bench"}],
            "capabilities": {"workspace": {"configuration": True}},
        },
    )
    at, _ = server.wait(lambda m: m.get("id") == init_id)
    initialize = at - server.started
    server.notify("initialized", {})
    sent = server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
    )
    at, msg = server.wait(diagnostics_of(uri, 1))
    first = at - sent
    count = len(msg["params"]["diagnostics"])
    latencies = []
    for k in range(edits):
        time.sleep(pause)
        version = k + 2
        lines = text.split("\n")
        lines[len(lines) // 2] += f"  # edit {k}"
        new = "\n".join(lines)
        sent = server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": new}],
            },
        )
        at, msg = server.wait(diagnostics_of(uri, version))
        latencies.append(at - sent - DEBOUNCE)
    server.close()
    return {
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "modules": sum(1 for _ in root.rglob("*.py")),
        "file": big.name,
        "big_lines": text.count("\n") + 1,
        "diagnostics": count,
        "initialize_s": round(initialize, 3),
        "first_diagnostics_s": round(first, 3),
        "edit_after_debounce_ms": {
            "median": round(statistics.median(latencies) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
            "all": [round(x * 1000, 1) for x in latencies],
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--modules", type=int, default=1200)
    ap.add_argument("--edits", type=int, default=10)
    ap.add_argument(
        "--dir", type=Path, default=None, help="where to generate (default: a temp dir)"
    )
    ap.add_argument("--runs", type=int, default=2, help="server starts (the first may be cold)")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds between edits")
    ap.add_argument(
        "--file",
        type=Path,
        default=None,
        help="measure this module of an existing project (--dir: its root) instead",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.dir or Path(tmp) / "project"
        if args.file is None and not (root / "app").is_dir():
            make_project(root, args.modules)
            (root / "app" / "p0" / "big.py").write_text(big_module())
        for run in range(args.runs):
            big = args.file.absolute() if args.file else None
            result = measure(root, args.edits, args.pause, big)
            print(json.dumps({"run": run + 1, **result}))


if __name__ == "__main__":
    main()
