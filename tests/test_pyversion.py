"""NWS900 says when a file's syntax is newer than the running Python, and what the
project's requires-python asks for."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import check_source
from netra_ws_lint.engine.pyversion import minimum_python, requires_python, syntax_hint

PY312 = (
    "type Vector = list[float]\n",
    "def first[T](items: list[T]) -> T:\n    return items[0]\n",
    "class Box[T]:\n    pass\n",
    'row = {"a": 1}\nprint(f"{row["a"]}")\n',
)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 parses these files")
@pytest.mark.parametrize("source", PY312)
def test_a_312_file_on_an_older_python(source: str, tmp_path: Path) -> None:
    requires_python.cache_clear()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "svc"\nrequires-python = ">=3.12"\n')
    path = tmp_path / "app.py"
    (f,) = check_source(source, str(path), Settings(root=tmp_path))
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f.code == "NWS900"
    assert f.message.endswith(
        "(this file may need Python >= 3.12: this looks like Python 3.12 syntax; the "
        f"project's requires-python is '>=3.12'; netra-ws-lint runs on Python {running}, "
        "run it on a newer one)"
    ), f.message


def test_hints_need_a_newer_version_than_the_running_one(tmp_path: Path) -> None:
    requires_python.cache_clear()
    path = str(tmp_path / "sub" / "m.py")
    assert syntax_hint("type X = int\n", 1, "invalid syntax", path, (3, 12)) == ""
    assert "Python >= 3.12: this looks like Python 3.12 syntax;" in syntax_hint(
        "type X = int\n", 1, "invalid syntax", path, (3, 11)
    )
    assert "3.11" in syntax_hint("try:\n    pass\nexcept* ValueError:\n", 3, "x", path, (3, 9))
    assert "3.10" in syntax_hint("match x:\n", 1, "invalid syntax", path, (3, 9))
    assert syntax_hint("x = (1,\n", 1, "'(' was never closed", path, (3, 9)) == ""
    # an ordinary error in a project that needs a newer Python: the project says so
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = "~=3.13.1"\n')
    requires_python.cache_clear()
    hint = syntax_hint("x = (1,\n", 1, "'(' was never closed", path, (3, 11))
    assert hint == (
        " (this file may need Python >= 3.13: the project's requires-python is '~=3.13.1'; "
        "netra-ws-lint runs on Python 3.11, run it on a newer one)"
    )
    (tmp_path / "pyproject.toml").write_text("not toml [")
    requires_python.cache_clear()
    assert syntax_hint("x = (1,\n", 1, "'(' was never closed", path, (3, 11)) == ""


@pytest.mark.parametrize(
    ("spec", "minimum"),
    [(">=3.12", (3, 12)), (">=3.9,<4", (3, 9)), ("~=3.10.2", (3, 10)), ("==3.11.*", (3, 11)),
     ("<3.13", None), ("", None)],
)
def test_minimum_python(spec: str, minimum: tuple[int, int] | None) -> None:
    assert minimum_python(spec) == minimum
