"""`init` writes a rev that exists, updates an existing entry when told, and writes a
local hook with --local."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from netra_ws_lint import __version__
from netra_ws_lint.cli import init
from netra_ws_lint.cli.main import main
from netra_ws_lint.report.formats import TOOL_URI


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def repos(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load((path / ".pre-commit-config.yaml").read_text())["repos"])


class FakeDist:
    def __init__(self, direct_url: dict[str, Any] | None) -> None:
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return json.dumps(self.direct_url) if self.direct_url is not None else None


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (None, (TOOL_URI, f"v{__version__}")),  # from an index: the release tag
        ({"url": "file:///src/netra-ws-lint", "dir_info": {"editable": True}},
         (TOOL_URI, f"v{__version__}")),
        ({"url": "https://git.example.com/team/netra-ws-lint.git",
          "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "main"}},
         ("https://git.example.com/team/netra-ws-lint.git", "a" * 40)),
    ],
)
def test_the_rev_is_the_installed_commit_or_the_release_tag(
    direct_url: dict[str, Any] | None, expected: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: FakeDist(direct_url))
    assert init.default_hook(None, None) == expected
    assert init.default_hook(None, "v9") == (TOOL_URI, "v9")
    assert init.default_hook("https://other/repo", None)[0] == "https://other/repo"


def test_init_updates_an_existing_entry_when_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init", str(tmp_path), "--repo", "https://a/x", "--rev", "v1")[0] == 0
    (tmp_path / ".pre-commit-config.yaml").write_text(
        (tmp_path / ".pre-commit-config.yaml").read_text()
        + "  - repo: https://github.com/PyCQA/flake8\n    rev: 7.1.1  # pinned\n"
        "    hooks:\n      - id: flake8\n"
    )
    code, out, _ = run(capsys, "init", str(tmp_path), "--repo", "https://b/y")
    assert code == 0 and "updated the netra-ws-lint hook" in out
    assert repos(tmp_path)[0] == {"repo": "https://b/y", "rev": "v1",
                                  "hooks": [{"id": "netra-ws-lint"}]}
    assert run(capsys, "init", str(tmp_path), "--rev", "0123abc")[0] == 0
    got = repos(tmp_path)
    assert got[0]["rev"] == "0123abc" and got[1]["rev"] == "7.1.1"
    assert "rev: 7.1.1  # pinned" in (tmp_path / ".pre-commit-config.yaml").read_text()
    code, out, _ = run(capsys, "init", str(tmp_path), "--rev", "0123abc")
    assert code == 0 and "nothing changed" in out


def test_init_local(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path), "--local")
    assert code == 0 and "a local hook running the installed tool" in out
    assert repos(tmp_path) == [{"repo": "local", "hooks": [init.LOCAL_HOOK]}]
    assert run(capsys, "init", str(tmp_path), "--local")[1].endswith("nothing changed\n")
    code, _, err = run(capsys, "init", str(tmp_path), "--repo", "https://a/x")
    assert code == 2 and "is in a `repo: local` entry" in err
    code, _, err = run(capsys, "init", str(tmp_path), "--local", "--rev", "v1")
    assert code == 2 and "--local cannot be combined" in err
