"""Shared test set-up: every SARIF document the tool builds during the tests is checked
against the official SARIF 2.1.0 schema and GitHub code scanning's extra demands; the
``generated`` project fixture of the speed tests."""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

# the official SARIF 2.1.0 schema (OASIS; its notice: data/sarif-schema-2.1.0.NOTICE.md)
SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"


@lru_cache(maxsize=1)
def _sarif_validator() -> Any:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_sarif(doc: dict[str, Any]) -> None:
    """Schema-valid, and what GitHub code scanning needs beyond the schema."""
    errors = sorted(_sarif_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    json.dumps(doc)  # plain JSON types only
    assert doc["version"] == "2.1.0"
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] and driver["version"]
        ids = [r["id"] for r in driver["rules"]]
        assert len(ids) == len(set(ids))
        for rule in driver["rules"]:
            for key in ("name", "shortDescription", "fullDescription", "help"):
                assert key in rule, (rule["id"], key)
            assert rule["help"]["text"] and rule["help"]["markdown"]
        for result in run["results"]:
            assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
            assert result["level"] in ("error", "warning", "note")
            loc = result["locations"][0]["physicalLocation"]
            uri = loc["artifactLocation"]["uri"]
            assert loc["artifactLocation"].get("uriBaseId") == "%SRCROOT%"
            assert not uri.startswith(("/", "file:")) and "\\" not in uri
            assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
            assert result["partialFingerprints"]["primaryLocationLineHash"]


@pytest.fixture(autouse=True)
def _every_sarif_document_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from netra_ws_lint.report import formats as formats

    real = formats.sarif_document

    def checked(*args: Any, **kwargs: Any) -> dict[str, Any]:
        doc = real(*args, **kwargs)
        validate_sarif(doc)
        return doc

    monkeypatch.setattr(formats, "sarif_document", checked)


def _gen_project() -> Any:
    """``benchmarks/gen_project.py``, loaded as a module."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "gen_project.py"
    spec = importlib.util.spec_from_file_location("gen_project", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A generated 60-module project (re-export chains, cross-module calls), the
    working directory."""
    root = _gen_project().make_project(tmp_path / "proj", 60, per_package=20)
    monkeypatch.chdir(root)
    return root
