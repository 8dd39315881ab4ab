"""Configuration semantics shared by the CLI and the flake8 plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_ws_lint.config import ConfigCache, ConfigError, Settings, apply_options, matches_any


def settings(**options: object) -> Settings:
    return apply_options(Settings(), options, "pyproject.toml")


def test_most_specific_selector_wins() -> None:
    s = settings(ignore=["NWS1"], **{"extend-select": ["NWS101"]})
    assert s.is_enabled("NWS101") and not s.is_enabled("NWS102")
    s = settings(select=["NWS101"])
    assert s.is_enabled("NWS101") and not s.is_enabled("NWS201")


def test_audit_needs_explicit_selection_or_flag() -> None:
    assert not Settings().audit_enabled("NWS202")
    assert settings(audit=True).audit_enabled("NWS202")
    assert settings(**{"extend-select": ["NWS202"]}).audit_enabled("NWS202")
    assert settings(**{"extend-select": ["NWS2"]}).audit_enabled("NWS202")
    assert not settings(select=["NWS"]).audit_enabled("NWS202")


def test_word_lists_replace_or_extend() -> None:
    s = settings(**{"context-names": ["req_ctx"]})
    assert s.words.context_names == ("req_ctx",)
    s = settings(**{"extend-context-names": ["req_ctx"]})
    assert s.words.context_names[-1] == "req_ctx" and "user_context" in s.words.context_names


def test_deprecated_accessor_forms() -> None:
    table = settings(**{"deprecated-accessors": {"get_bus": "create_bus"}})
    strings = settings(**{"deprecated-accessors": ["get_bus -> create_bus"]})
    assert table.words.deprecated_accessors == strings.words.deprecated_accessors == {"get_bus": "create_bus"}
    extended = settings(**{"extend-deprecated-accessors": "get_bus:create_bus"})
    assert set(extended.words.deprecated_accessors) == {"get_websocket_manager", "get_bus"}
    with pytest.raises(ConfigError, match="key 'deprecated-accessors'"):
        settings(**{"deprecated-accessors": ["get bus -> x"]})


def test_per_file_ignores_forms() -> None:
    flake8_style = settings(**{"per-file-ignores": "tests/*.py:NWS101,NWS2\n  legacy/*: NWS1"})
    assert flake8_style.ignored_for("tests/test_a.py") == {"NWS101", "NWS2"}
    assert flake8_style.ignored_for("legacy/x.py") == {"NWS1"}
    assert flake8_style.ignored_for("app/x.py") == frozenset()


def test_matches_any_globs_and_dotted_names() -> None:
    assert matches_any("app.ws.UserWebSocketManager", ["*WebSocketManager"])
    assert matches_any("pkg.ws.get_manager", ["ws.get_manager"])
    assert not matches_any("pkg.xws.get_manager", ["ws.get_manager"])
    assert not matches_any("get_websocket_managers", ["get_websocket_manager"])


def test_unknown_key_names_file_and_key() -> None:
    with pytest.raises(ConfigError) as exc:
        settings(selct=["NWS1"])
    assert str(exc.value).startswith("pyproject.toml: key 'selct': unknown key")


def test_setup_cfg_section_and_broken_ini(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[netra-ws-lint]\nextend-context-names = req_ctx\n")
    s = ConfigCache().settings_for(tmp_path / "a.py")
    assert "req_ctx" in s.words.context_names and s.source == str(tmp_path / "setup.cfg")
    (tmp_path / "setup.cfg").write_text("[netra-ws-lint\nx=1\n")
    with pytest.raises(ConfigError, match="invalid INI"):
        ConfigCache().settings_for(tmp_path / "a.py")


def test_pyproject_without_our_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.netra-ws-lint]\nignore = ["NWS1"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    s = ConfigCache().settings_for(tmp_path / "sub" / "m.py")
    assert s.ignore == ("NWS1",) and s.root == tmp_path
