"""Module resolution as users lay out their code: source roots (the `src` key, default
the project root and `src/`), PEP 420 namespace packages, `__init__.py` chains, a
sub-folder checked on its own; the flake8 plugin's excludes; facts joined, not parsed."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_ws_lint.analysis.project import ProjectIndex, module_names
from netra_ws_lint.cli.flake8_plugin import Plugin
from netra_ws_lint.cli.main import main

HUB = (
    "class StreamWebSocketManager:\n"  # one user's: a user-scoped type (ownership)
    "    def __init__(self, user_id=None):\n"
    "        self.user_id = user_id\n"
    "\n"
    "    async def send_to_user(self, data):\n"
    "        await self.socket.send(data)\n"
    "\n"
    "_hub = None\n"
    "\n"
    "def get_stream_hub():\n"
    "    global _hub\n"
    "    if _hub is None:\n"
    "        _hub = StreamWebSocketManager()\n"
    "    return _hub\n"
)
USE = "from acme.core.hub import get_stream_hub\n\ndef f():\n    return get_stream_hub()\n"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def codes(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    main(["check", "--no-cache", *argv])
    out = capsys.readouterr().out
    return [line.split(": ")[1].split()[0] for line in out.splitlines() if ": NWS" in line]


@pytest.mark.parametrize(
    ("config", "prefix"),
    [
        ("", "src/"),  # default source roots: the root and src/
        ('src = ["services/api"]\n', "services/api/"),  # a configured source root
        ("", ""),  # the root itself
    ],
)
def test_pep420_packages_resolve_from_source_roots(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    config: str,
    prefix: str,
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": f"[tool.netra-ws-lint]\n{config}",
            f"{prefix}acme/core/hub.py": HUB,  # no __init__.py anywhere
            f"{prefix}acme/api/routes.py": USE,
        },
    )
    monkeypatch.chdir(tmp_path)
    assert "NWS105" in codes(capsys, ".")
    # a sub-folder checked on its own resolves imports that start above it
    assert "NWS105" in codes(capsys, f"{prefix}acme/api")
    monkeypatch.chdir(tmp_path / f"{prefix}acme/api")
    assert "NWS105" in codes(capsys, "routes.py")
    assert "NWS105" not in codes(capsys, "--no-project", "routes.py")


def test_module_names_from_roots_and_init_chains(tmp_path: Path) -> None:
    write(tmp_path, {"src/app/__init__.py": "", "src/app/x.py": "", "lib/ns/y.py": ""})
    roots = [tmp_path, tmp_path / "src"]
    assert module_names(tmp_path / "src/app/x.py", roots) == ("app.x", False, ("src.app.x",))
    assert module_names(tmp_path / "src/app/__init__.py", roots)[:2] == ("app", True)
    assert module_names(tmp_path / "lib/ns/y.py", roots)[0] == "lib.ns.y"
    # under no source root: the __init__.py chain names it
    assert module_names(tmp_path / "src/app/x.py", [])[0] == "app.x"
    # a sub-folder's view (``..``) names the same module
    sub = tmp_path / "src" / "app" / ".." / "app" / "x.py"
    assert module_names(sub, roots)[0] == "app.x"


def test_src_must_be_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.netra-ws-lint]\nsrc = ["/abs"]\n', "a.py": ""})
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "."]) == 2
    assert "key 'src'" in capsys.readouterr().err


def test_flake8_honours_excludes_and_sees_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from flake8.main.cli import main as flake8_main

    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.netra-ws-lint]\nextend-exclude = ["vendored"]\n',
            "acme/core/hub.py": HUB,
            "acme/api/routes.py": USE,
            "vendored/copy.py": USE,
        },
    )
    monkeypatch.chdir(tmp_path)
    Plugin._runs = {}
    flake8_main(["--select", "NWS", "--format=%(path)s: %(code)s", "."])
    out = capsys.readouterr().out
    assert "./acme/api/routes.py: NWS105" in out
    assert "vendored" not in out
    # run from inside the excluded folder (as `check vendored` is), it is checked
    monkeypatch.chdir(tmp_path / "vendored")
    flake8_main(["--select", "NWS", "--format=%(path)s: %(code)s", "."])
    assert "copy.py: NWS105" in capsys.readouterr().out


def test_project_joins_facts_and_replaces_one_module() -> None:
    hub = {
        "module": "acme.hub",
        "package": False,
        "defs": {"get": {"kind": "function", "ctx": None, "singleton": True}},
        "imports": {},
    }
    init = {"module": "acme", "package": True, "defs": {}, "imports": {"g": "acme.hub.get"}}
    index = ProjectIndex([hub, init])
    assert index.find("acme.g") == hub["defs"]["get"]  # type: ignore[index]
    assert index.known_names == {"get", "g"}
    assert index.with_entry(dict(hub)) is index
    changed = index.with_entry({**hub, "defs": {}})
    assert changed.find("acme.g") is None and changed.digest != index.digest
