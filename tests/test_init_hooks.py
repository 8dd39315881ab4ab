"""`init` writes a local hook (offline) by default, a remote one only at a repository and
rev given (or recorded by pip), updates an existing entry to the form asked for, and
prints the next steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from netra_ws_lint.cli import init
from netra_ws_lint.cli.main import main


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
        (None, None),  # from a wheel or an index: nothing recorded, both must be given
        ({"url": "file:///src/netra-ws-lint", "dir_info": {"editable": True}}, None),
        ({"url": "https://git.example.com/team/netra-ws-lint.git",
          "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "main"}},
         ("https://git.example.com/team/netra-ws-lint.git", "a" * 40)),
    ],
)
def test_a_remote_hook_is_only_what_exists(
    direct_url: dict[str, Any] | None, expected: tuple[str, str] | None,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: FakeDist(direct_url))
    if expected is None:
        with pytest.raises(init.InitError, match="needs both --repo"):
            init.default_hook(None, None)
        with pytest.raises(init.InitError, match="needs both --repo"):
            init.default_hook("https://other/repo", None)
    else:
        assert init.default_hook(None, None) == expected
        assert init.default_hook(None, "v9") == (expected[0], "v9")
    assert init.default_hook("https://other/repo", "v9") == ("https://other/repo", "v9")


def test_init_writes_a_local_hook_by_default_and_prints_the_next_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "init", str(tmp_path))
    assert code == 0
    assert repos(tmp_path) == [{"repo": "local", "hooks": [init.LOCAL_HOOK]}]
    text = (tmp_path / ".pre-commit-config.yaml").read_text()
    assert "github.com" not in text and "rev:" not in text
    assert "pip install pre-commit" in out and "pre-commit install" in out
    # once pre-commit's git hook is there, init no longer asks for it
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    (tmp_path / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\n# pre-commit\n")
    code, out, _ = run(capsys, "init", str(tmp_path))
    assert code == 0 and "nothing changed" in out and "  pre-commit install" not in out


def test_init_converts_an_existing_entry_instead_of_refusing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / ".pre-commit-config.yaml"
    cfg.write_text(
        "repos:\n"
        "  - repo: https://github.com/PyCQA/flake8\n    rev: 7.1.1  # pinned\n"
        "    hooks:\n      - id: flake8\n"
        "  # the linter\n"
        "  - repo: https://unreachable.example/netra-ws-lint\n    rev: v0.0.1\n"
        "    hooks:\n      - id: netra-ws-lint\n        args: [--audit]\n"
        "      - id: netra-ws-lint-fix\n"
        "\nci:\n  autofix_prs: false\n"
    )
    # plain init keeps the form a team chose; --local asks for the local hook
    before = cfg.read_text()
    code, out, _ = run(capsys, "init", str(tmp_path))
    assert code == 0 and "updated" not in out and cfg.read_text() == before
    assert "the local hook runs" not in out
    code, out, err = run(capsys, "init", str(tmp_path), "--local")
    assert code == 0, err
    assert "updated the netra-ws-lint hook" in out and "local hook" in out
    got = repos(tmp_path)
    assert got[0]["rev"] == "7.1.1"
    assert got[1] == {"repo": "local", "hooks": [
        {**init.LOCAL_HOOK, "args": ["--audit"]}, init.LOCAL_FIX_HOOK]}
    text = cfg.read_text()
    assert "rev: 7.1.1  # pinned" in text and "  # the linter\n" in text
    assert yaml.safe_load(text)["ci"] == {"autofix_prs": False}
    assert run(capsys, "init", str(tmp_path))[1].startswith("already set up")
    # and back to the team's repository at a rev
    code, out, err = run(capsys, "init", str(tmp_path), "--repo", "https://git.example/t/nws",
                         "--rev", "v2")
    assert code == 0, err
    assert repos(tmp_path)[1] == {"repo": "https://git.example/t/nws", "rev": "v2", "hooks": [
        {"id": "netra-ws-lint", "args": ["--audit"]}, {"id": "netra-ws-lint-fix"}]}


def test_init_leaves_a_shared_local_entry_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / ".pre-commit-config.yaml"
    existing = (
        "repos:\n- repo: local\n  hooks:\n  - id: mypy\n    name: mypy\n    entry: mypy\n"
        "    language: system\n  - id: netra-ws-lint\n    name: n\n    entry: netra-ws-lint check\n"
        "    language: system\n"
    )
    cfg.write_text(existing)
    code, _, err = run(capsys, "init", str(tmp_path), "--repo", "https://a/x", "--rev", "v1")
    assert code == 2 and "shares its entry with other hooks" in err
    assert cfg.read_text() == existing


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
    assert "nothing changed\n" in run(capsys, "init", str(tmp_path), "--local")[1]
    code, _, err = run(capsys, "init", str(tmp_path), "--repo", "https://a/x")
    assert code == 2 and "needs both --repo" in err
    code, _, err = run(capsys, "init", str(tmp_path), "--local", "--rev", "v1")
    assert code == 2 and "--local cannot be combined" in err


def test_with_a_baseline_the_hook_fails_only_on_new_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The quick start records a baseline, then runs init: the hook must use it, or
    the first commit fails on every legacy finding. Init run before the baseline
    existed adds it to the hook when run again."""
    baseline = [init.BASELINE_FILE]
    assert run(capsys, "init", str(tmp_path))[0] == 0
    assert "args" not in repos(tmp_path)[0]["hooks"][0]
    (tmp_path / baseline[0]).write_text('{"format": 2, "entries": []}\n')
    code, out, _ = run(capsys, "init", str(tmp_path))
    assert code == 0 and "with the baseline .netra-ws-lint-baseline.json" in out
    assert repos(tmp_path) == [{"repo": "local", "hooks": [
        {**init.LOCAL_HOOK, "args": ["--baseline", baseline[0]]}]}]
    assert "already set up" in run(capsys, "init", str(tmp_path))[1]
    # a fresh config in a repository that has a baseline, in either form
    (tmp_path / ".pre-commit-config.yaml").unlink()
    assert run(capsys, "init", str(tmp_path), "--repo", "https://git.example/t/nws",
               "--rev", "v2")[0] == 0
    assert repos(tmp_path)[0]["hooks"] == [{"id": "netra-ws-lint",
                                            "args": ["--baseline", baseline[0]]}]
    assert run(capsys, "init", str(tmp_path), "--local")[0] == 0  # args kept once
    assert repos(tmp_path)[0]["hooks"] == [
        {**init.LOCAL_HOOK, "args": ["--baseline", baseline[0]]}]
