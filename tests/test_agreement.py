"""Every front end reports the same findings on a multi-module project: `check .`,
`check` of every file named (from the root and from a sub-folder), stdin per file,
flake8 on the folder and per file over stdin, what `migrate --validate-only` lists,
and the re-check of `check --fix`; with a cold and a warm cache.

The fixture is a PEP 420 package (no top-level ``__init__.py``) whose singleton getter,
constructor with an optional user context and functions taking one are defined in one
module, re-exported through ``__init__`` and used in others; an excluded folder uses
them too and must never be reported."""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from netra_ws_lint.cli.flake8_plugin import Plugin
from netra_ws_lint.cli.main import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LINE = re.compile(r"^(?:\./)?(.+?):(\d+):(\d+):? ?(NWS\d+)\b")

FILES = {
    "pyproject.toml": '[tool.netra-ws-lint]\nextend-exclude = ["legacy_vendor"]\n',
    "acme/core/__init__.py": (
        "from acme.core.hub import StreamWebSocketManager, get_stream_hub, publish\n"
        "from .hub import create_stream_manager\n"
    ),
    "acme/core/context.py": (
        "class UserExecutionContext:\n"
        "    def __init__(self, user_id: str) -> None:\n"
        "        self.user_id = user_id\n"
    ),
    "acme/core/hub.py": (
        "from __future__ import annotations\n"
        "from typing import Any\n"
        "from acme.core.context import UserExecutionContext\n"
        "\n"
        "class StreamWebSocketManager:\n"
        "    def __init__(self, user_context: UserExecutionContext | None = None) -> None:\n"
        "        self.user_context = user_context\n"
        "\n"
        "    async def send_to_user(self, user_id: str, data: Any) -> None:\n"
        "        pass\n"
        "\n"
        "_hub = None\n"
        "\n"
        "def get_stream_hub():\n"
        "    global _hub\n"
        "    if _hub is None:\n"
        "        _hub = StreamWebSocketManager()\n"
        "    return _hub\n"
        "\n"
        "def create_stream_manager(user_context: UserExecutionContext):\n"
        "    return StreamWebSocketManager(user_context)\n"
        "\n"
        "def publish(event: str, user_context: UserExecutionContext | None = None) -> None:\n"
        "    if user_context is None:\n"
        "        return  # without a context, nobody is told: the caller dropped it\n"
        "    create_stream_manager(user_context).route(event)\n"
    ),
    "acme/api/routes.py": (
        "from acme.core import get_stream_hub, publish\n"
        "\n"
        "async def push(user_id, data):\n"
        "    hub = get_stream_hub()\n"
        "    await hub.send_to_user(user_id, data)\n"
        "\n"
        "def notify(user_context):\n"
        "    publish('done')\n"
    ),
    "acme/api/builder.py": (
        "import acme.core as core\n"
        "\n"
        "def build(user_context):\n"
        "    return core.StreamWebSocketManager()\n"
    ),
    "acme/workers/jobs.py": (
        "from acme.core import create_stream_manager as csm\n"
        "from acme.api.routes import push\n"
        "\n"
        "async def run(user_context, user_id):\n"
        "    manager = csm()\n"
        "    await push(user_id, {})\n"
        "    return manager\n"
    ),
    "acme/workers/relay.py": (
        "from acme.workers.jobs import csm\n"
        "\n"
        "def relay(user_context):\n"
        "    return csm()\n"
    ),
    "acme/util/text.py": "import os\n\ndef slug(s):\n    return s.lower().replace(' ', '-')\n",
    "acme/util/ids.py": "from acme.util.text import slug\n\ndef key(name):\n    return slug(name)\n",
    "legacy_vendor/old.py": (
        "from acme.core import get_stream_hub\n\nhub = get_stream_hub()\n"
    ),
}
CHECKED = sorted(p for p in FILES if p.endswith(".py") and not p.startswith("legacy_vendor"))
Found = set[tuple[str, int, int, str]]


def parse(out: str, base: Path, root: Path) -> Found:
    found = set()
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            rel = os.path.relpath(base / m.group(1), root).replace(os.sep, "/")
            found.add((rel, int(m.group(2)), int(m.group(3)), m.group(4)))
    return found


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.chdir(root)
    Plugin._runs = {}
    return root


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return out


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def flake8(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from flake8.main.cli import main as flake8_main

    flake8_main(["--select", "NWS", "--format=%(path)s:%(row)d:%(col)d: %(code)s", *argv])
    return capsys.readouterr().out


def test_every_front_end_agrees(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flake8 import utils as flake8_utils

    cache = project / ".netra-ws-lint-cache"
    cold = parse(cli(capsys, "check", "."), project, project)
    assert cache.is_dir()
    # the cross-module findings the fixture is built for
    expected = {
        ("acme/api/routes.py", 4, 11, "NWS105"),  # singleton getter, re-exported
        ("acme/api/routes.py", 8, 5, "NWS303"),  # publish() without the context
        ("acme/workers/jobs.py", 5, 15, "NWS301"),  # factory through an alias
        ("acme/workers/relay.py", 4, 12, "NWS301"),  # ... and a re-export of it
    }
    assert expected <= cold, sorted(cold)
    assert not any(p.startswith("legacy_vendor") for p, *_ in cold)
    modes: dict[str, Found] = {"check . (cold)": cold}
    modes["check . (warm)"] = parse(cli(capsys, "check", "."), project, project)
    modes["check . --no-cache"] = parse(cli(capsys, "check", "--no-cache", "."), project, project)
    modes["check FILES (warm)"] = parse(cli(capsys, "check", *CHECKED), project, project)
    shutil.rmtree(cache)
    modes["check FILES (cold)"] = parse(cli(capsys, "check", *CHECKED), project, project)
    sub = project / "acme" / "workers"
    monkeypatch.chdir(sub)
    named = [os.path.relpath(project / p, sub) for p in CHECKED]
    modes["check FILES from a sub-folder"] = parse(cli(capsys, "check", *named), sub, project)
    monkeypatch.chdir(project)
    per_file: Found = set()
    for rel in CHECKED:
        stdin(monkeypatch, (project / rel).read_bytes())
        per_file |= parse(cli(capsys, "check", "--stdin-filename", rel, "-"), project, project)
    modes["stdin per file"] = per_file
    shutil.rmtree(cache)
    modes["flake8 . (cold)"] = parse(flake8(capsys, "."), project, project)
    Plugin._runs = {}
    modes["flake8 . (warm)"] = parse(flake8(capsys, "."), project, project)
    per_file = set()
    for rel in CHECKED:
        flake8_utils.stdin_get_value.cache_clear()
        stdin(monkeypatch, (project / rel).read_bytes())
        per_file |= parse(flake8(capsys, "--stdin-display-name", rel, "-"), project, project)
    modes["flake8 stdin per file"] = per_file
    for name, found in modes.items():
        assert found == cold, (name, sorted(found ^ cold))

    # migrate lists the deprecated (NWS1) findings check reports
    main(["migrate", "--validate-only", "."])
    listed = parse(capsys.readouterr().out, project, project)
    assert listed == {f for f in cold if f[3].startswith("NWS1")}
    assert listed

    # --fix --diff shows the fixes of cross-module findings; --fix's re-check reports
    # what check then reports on the fixed files
    main(["check", "--fix", "--diff", "."])
    diff = capsys.readouterr().out
    assert "acme/workers/relay.py" in diff, diff  # NWS301 through two re-exports
    rechecked = parse(cli(capsys, "check", "--fix", "."), project, project)
    after = parse(cli(capsys, "check", "--no-cache", "."), project, project)
    assert rechecked == after
    assert ("acme/workers/relay.py", 4, 12, "NWS301") not in after


def test_legacy_service_flake8_equals_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "legacy_service"
    shutil.copytree(EXAMPLES / "legacy_service", root)
    monkeypatch.chdir(root)
    Plugin._runs = {}
    by_cli = parse(cli(capsys, "check", "--no-cache", "."), root, root)
    by_flake8 = parse(flake8(capsys, "."), root, root)
    assert by_flake8 == by_cli
    golden = (Path(__file__).parent / "data" / "legacy_service.expected").read_text()
    assert len(by_cli) == len(golden.splitlines())  # every finding of the golden file
