"""``netra-ws-lint init``: set a repository up in one step.

- ``.pre-commit-config.yaml``: adds the ``netra-ws-lint`` hook; creates the file if there
  is none. By default a ``repo: local`` hook that runs the installed ``netra-ws-lint``
  (nothing to clone or download: it works offline); with ``--repo URL --rev REV`` the
  team's own copy of this repository at that revision. An existing entry of the hook is
  updated to the form asked for (``--local``, or ``--repo``/``--rev``: a local entry
  becomes a remote one and back), and keeps its form when none is.
  When the repository has a baseline (``.netra-ws-lint-baseline.json``), the hook gets
  ``args: [--baseline, .netra-ws-lint-baseline.json]``: it fails only on new findings.
- ``pyproject.toml``: adds a ``[tool.netra-ws-lint]`` table listing the word lists with
  their defaults; in an existing table, only the lists it does not set yet (neither
  ``key`` nor ``extend-key``), placed before its other keys.

Nothing that is there is rewritten: both files are edited as text (the tool does not
depend on a YAML library), and an edit is made only where the file's layout is
understood. Anything else is refused with a message saying what to add by hand.
Running it again changes nothing. It ends by printing the next steps (install
pre-commit, ``pre-commit install``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from netra_ws_lint import __version__
from netra_ws_lint.config import (
    DEFAULT_ACCESSORS,
    SECTION,
    WORD_LISTS,
    ConfigError,
    Settings,
    apply_options,
)
from netra_ws_lint.engine.fsutil import read_text_file, rewrite_file, write_new_file
from netra_ws_lint.report.baseline import DEFAULT_FILE as BASELINE_FILE
from netra_ws_lint.rules.base import all_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

HOOK_ID = "netra-ws-lint"
FIX_HOOK_ID = "netra-ws-lint-fix"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
_HOOK_ID_RE = re.compile(
    rf"^[ \t]*(?:-[ \t]+)?id:[ \t]*(['\"]?){re.escape(HOOK_ID)}\1[ \t]*(?:#[^\r\n]*)?\r?$", re.M
)
_TOP_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*|'[^']*'|\"[^\"]*\")[ \t]*:(?:[ \t]|$)")
_PLAIN_SCALAR_RE = re.compile(r"^[A-Za-z0-9_./@~+=-][A-Za-z0-9_./@~+=:-]*$")
_TABLE_HEADER_RE = re.compile(
    rf"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*(?:{re.escape(SECTION)}|\"{re.escape(SECTION)}\")"
    rf"[ \t]*\][ \t]*(?:#[^\r\n]*)?\r?$"
)


class InitError(Exception):
    pass


@dataclass
class Change:
    path: Path
    text: str  # the new content
    message: str
    old: str | None = None  # the content it was planned from (None: a new file)


# ---------------------------------------------------------------- .pre-commit-config.yaml


def _yaml_scalar(value: str) -> str:
    return value if _PLAIN_SCALAR_RE.match(value) else json.dumps(value)


# the default: a hook that runs the installed tool (no clone, no network)
LOCAL_HOOK = {
    "id": HOOK_ID,
    "name": HOOK_ID,
    "entry": "netra-ws-lint check --force-exclude",
    "language": "system",
    "types_or": ["python", "pyi"],
    "require_serial": True,
}


def _hook_entry(repo: str, rev: str, indent: int, args: Sequence[str] = ()) -> list[str]:
    pad = " " * indent
    extra = [f"{pad}      args: [{', '.join(_yaml_scalar(a) for a in args)}]"] if args else []
    if repo == "local":
        return [
            f"{pad}- repo: local",
            f"{pad}  hooks:",
            f"{pad}    - id: {HOOK_ID}",
            f"{pad}      name: {HOOK_ID}",
            f"{pad}      entry: {LOCAL_HOOK['entry']}",
            f"{pad}      language: system",
            f"{pad}      types_or: [python, pyi]",
            f"{pad}      require_serial: true",
            *extra,
        ]
    return [
        f"{pad}- repo: {_yaml_scalar(repo)}",
        f"{pad}  rev: {_yaml_scalar(rev)}",
        f"{pad}  hooks:",
        f"{pad}    - id: {HOOK_ID}",
        *extra,
    ]


# the local form of the fix hook (when an entry being converted has it)
LOCAL_FIX_HOOK = {
    "id": FIX_HOOK_ID,
    "name": "netra-ws-lint (fix)",
    "entry": "netra-ws-lint check --force-exclude --fix",
    "language": "system",
    "types_or": ["python", "pyi"],
    "require_serial": True,
}
_LOCAL_DEFINITIONS = {HOOK_ID: LOCAL_HOOK, FIX_HOOK_ID: LOCAL_FIX_HOOK}


def _entry_data(repo: str, rev: str, args: Sequence[str] = ()) -> dict[str, Any]:
    extra = {"args": list(args)} if args else {}
    if repo == "local":
        return {"repo": "local", "hooks": [{**LOCAL_HOOK, **extra}]}
    return {"repo": repo, "rev": rev, "hooks": [{"id": HOOK_ID, **extra}]}


def _by_hand(repo: str, rev: str, args: Sequence[str] = ()) -> str:
    return "add this under `repos:` by hand:\n" + "\n".join(_hook_entry(repo, rev, 2, args))


_REPO_LINE_RE = re.compile(r"^([ \t]*-[ \t]+repo:[ \t]*)(\S.*?)([ \t]+#.*)?$")
_REV_LINE_RE = re.compile(r"^([ \t]*rev:[ \t]*)(\S.*?)([ \t]+#.*)?$")


def _plain(value: str) -> str:
    value = value.strip()
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value


def update_hook(
    text: str, repo: str | None, rev: str | None, args: Sequence[str] = ()
) -> str | None:
    """The config with the existing hook's ``repo`` / ``rev`` set to those given (None:
    keep), and ``args`` added to the hook's when it has none of them; None when all is
    so already. :class:`InitError` when the entry's layout is not understood."""
    lines = text.splitlines()
    newline = "\r\n" if "\r\n" in text else "\n"
    at = next(i for i, line in enumerate(lines) if _HOOK_ID_RE.match(line))
    start = next((i for i in range(at, -1, -1) if _REPO_LINE_RE.match(lines[i])), None)
    if start is None:
        raise InitError(f"{PRE_COMMIT_CONFIG}: the {HOOK_ID} hook's `- repo:` line is not found")
    m = _REPO_LINE_RE.match(lines[start])
    assert m is not None
    old_repo = _plain(m.group(2))
    needs_args = bool(args) and _hook_lacks(text, args[0])
    if old_repo == "local" and (repo == "local" or (repo is None and rev is None)):
        return _convert_entry(text, lines, start, "local", "", args) if needs_args else None
    if old_repo == "local" or repo == "local":
        new_repo, new_rev = ("local", "") if repo == "local" else default_hook(repo, rev)
        return _convert_entry(text, lines, start, new_repo, new_rev, args)
    rev_at = next((i for i in range(start + 1, at) if _REV_LINE_RE.match(lines[i])), None)
    if rev_at is None:
        raise InitError(f"{PRE_COMMIT_CONFIG}: the {HOOK_ID} hook's entry has no `rev:` line")
    r = _REV_LINE_RE.match(lines[rev_at])
    assert r is not None
    old_rev = _plain(r.group(2))
    new_repo, new_rev = repo or old_repo, rev or old_rev
    if needs_args:
        return _convert_entry(text, lines, start, new_repo, new_rev, args)
    if (new_repo, new_rev) == (old_repo, old_rev):
        return None
    new = list(lines)
    new[start] = m.group(1) + _yaml_scalar(new_repo) + (m.group(3) or "")
    new[rev_at] = r.group(1) + _yaml_scalar(new_rev) + (r.group(3) or "")
    result = newline.join(new) + newline
    yaml = _yaml()
    if yaml is not None:
        before, after = yaml.safe_load(text), yaml.safe_load(result)
        changed = [
            (a, b) for a, b in zip(before.get("repos", []), after.get("repos", [])) if a != b
        ]
        ok = (
            len(changed) == 1
            and {**changed[0][0], "repo": new_repo, "rev": new_rev} == (changed[0][1])
        )
        if not ok:
            raise InitError(f"{PRE_COMMIT_CONFIG}: its layout is not understood; edit it by hand")
    return result


def _hook_lacks(text: str, arg: str) -> bool:
    """The hook's ``args`` (in ``text``, a config holding it) do not name ``arg``."""
    yaml = _yaml()
    if yaml is None:  # pragma: no cover - pre-commit users have it
        return False
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    repos = data.get("repos") if isinstance(data, dict) else None
    for entry in repos if isinstance(repos, list) else []:
        hooks = entry.get("hooks") if isinstance(entry, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if isinstance(hook, dict) and hook.get("id") == HOOK_ID:
                hook_args = hook.get("args")
                named = arg in hook_args if isinstance(hook_args, list) else False
                return not named and arg not in str(hook.get("entry", ""))
    return False


def _convert_entry(
    text: str, lines: list[str], start: int, repo: str, rev: str, args: Sequence[str] = ()
) -> str:
    """The config with the hook's entry (at line ``start``) rewritten in the form asked
    for: a local entry running the installed tool, or ``repo`` at ``rev``. Its hooks
    keep their ids and their own options (``args``, ``files``, ``stages``, ...); the
    hook gets ``args`` added when its own do not name ``args[0]``."""
    newline = "\r\n" if "\r\n" in text else "\n"
    yaml = _yaml()
    if yaml is None:  # pragma: no cover - pre-commit users have it
        raise InitError(f"{PRE_COMMIT_CONFIG}: install PyYAML (or pre-commit) to update the entry")
    indent = len(lines[start]) - len(lines[start].lstrip(" "))
    end = start + 1  # the entry runs to the next line as little indented as its `-`
    while end < len(lines):
        line = lines[end]
        content = line.strip() and not line.lstrip().startswith("#")
        if content and len(line) - len(line.lstrip(" ")) <= indent:
            break
        end += 1
    while end > start + 1 and (
        not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
    ):
        end -= 1
    try:
        before = yaml.safe_load(text)
        old_entry = yaml.safe_load("\n".join(line[indent:] for line in lines[start:end]))[0]
    except (yaml.YAMLError, TypeError, IndexError, KeyError) as exc:
        raise InitError(f"{PRE_COMMIT_CONFIG}: its layout is not understood ({exc})") from None
    hooks = old_entry.get("hooks") if isinstance(old_entry, dict) else None
    if not isinstance(hooks, list) or not all(
        isinstance(h, dict) and h.get("id") in _LOCAL_DEFINITIONS for h in hooks
    ):
        raise InitError(
            f"{PRE_COMMIT_CONFIG}: the {HOOK_ID} hook shares its entry with other hooks; "
            f"move it to an entry of its own, or {_by_hand(repo, rev, args)}"
        )
    new_hooks = []
    for hook in hooks:
        definition = _LOCAL_DEFINITIONS[hook["id"]]
        own = {k: v for k, v in hook.items() if k == "id" or k not in definition}
        own_args = own.get("args")
        if args and hook["id"] == HOOK_ID and args[0] not in (own_args or []):
            own["args"] = [*(own_args if isinstance(own_args, list) else []), *args]
        if repo == "local":
            new_hooks.append({**definition, **own})
        else:
            new_hooks.append(own)
    entry: dict[str, Any] = (
        {"repo": "local", "hooks": new_hooks}
        if repo == "local"
        else {"repo": repo, "rev": rev, "hooks": new_hooks}
    )
    dumped = yaml.safe_dump([entry], sort_keys=False, default_flow_style=None, width=1000)
    pad = " " * indent
    block = [pad + line for line in dumped.splitlines()]
    result = newline.join([*lines[:start], *block, *lines[end:]]) + newline
    after = yaml.safe_load(result)
    old_repos, new_repos = before.get("repos", []), after.get("repos", [])
    changed = [i for i, (a, b) in enumerate(zip(old_repos, new_repos)) if a != b]
    if len(old_repos) != len(new_repos) or len(changed) != 1 or new_repos[changed[0]] != entry:
        raise InitError(f"{PRE_COMMIT_CONFIG}: its layout is not understood; edit it by hand")
    return result


def _yaml() -> Any:
    try:
        return importlib.import_module("yaml")
    except ImportError:  # pragma: no cover - pre-commit users have it
        return None


def add_hook(text: str | None, repo: str, rev: str, args: Sequence[str] = ()) -> str | None:
    """The config with the hook added; None when it is there already."""
    if text is not None and _HOOK_ID_RE.search(text):
        return None
    newline = "\r\n" if text and "\r\n" in text else "\n"
    lines = (text or "").splitlines()
    content = [
        i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")
    ]
    if not content:
        head = lines or ["# See https://pre-commit.com for how to use pre-commit."]
        return newline.join([*head, "repos:", *_hook_entry(repo, rev, 2, args)]) + newline

    def refuse(why: str) -> InitError:
        return InitError(f"{PRE_COMMIT_CONFIG}: {why}; {_by_hand(repo, rev, args)}")

    if any(line[: len(line) - len(line.lstrip(" \t"))].count("\t") for line in lines):
        raise refuse("indented with tabs")
    first = lines[content[0]]
    if first.rstrip() == "---":
        content = content[1:]
    if any(lines[i].rstrip() in ("---", "...") for i in content):
        raise refuse("holds several YAML documents")
    if content and lines[content[0]][:1] in "{[":
        raise refuse("is written in YAML flow style")

    repos_at = next((i for i in content if re.match(r"^repos[ \t]*:", lines[i])), None)
    if repos_at is None:
        for i in content:
            if lines[i][:1] not in (" ", "-") and not _TOP_KEY_RE.match(lines[i]):
                raise refuse(f"line {i + 1} is not understood")
        new = [*lines, "repos:", *_hook_entry(repo, rev, 2, args)]
    else:
        rest = re.sub(r"[ \t]+#.*$", "", lines[repos_at].split(":", 1)[1]).strip()
        if rest not in ("", "[]"):
            raise refuse("`repos:` is not a block list")
        end = repos_at + 1  # the block runs to the next line at column 0 not "-"/"#"
        while end < len(lines):
            line = lines[end]
            if line.strip() and line[:1] not in (" ", "-", "#"):
                break
            end += 1
        block = [
            i
            for i in range(repos_at + 1, end)
            if lines[i].strip() and not lines[i].lstrip().startswith("#")
        ]
        if rest == "[]" and block:
            raise refuse("`repos: []` is followed by more entries")
        items = [i for i in block if re.match(r"^[ ]*-(?:[ ]|$)", lines[i])]
        indent = len(lines[items[0]]) - len(lines[items[0]].lstrip(" ")) if items else 2
        for i in block:
            depth = len(lines[i]) - len(lines[i].lstrip(" "))
            if depth < indent or (depth == indent and i not in items):
                raise refuse(f"line {i + 1} is not understood")
        at = block[-1] + 1 if block else repos_at + 1
        head = [*lines[:repos_at], "repos:"] if rest == "[]" else lines[: repos_at + 1]
        new = [*head, *lines[repos_at + 1 : at], *_hook_entry(repo, rev, indent, args), *lines[at:]]
    result = newline.join(new) + newline
    _check_yaml(text, result, repo, rev, args)
    return result


def _check_yaml(
    before: str | None, after: str, repo: str, rev: str, args: Sequence[str] = ()
) -> None:
    """With PyYAML at hand (pre-commit brings it), prove the edit added exactly one
    entry and changed nothing else."""
    yaml = _yaml()
    if yaml is None:  # pragma: no cover - pre-commit users have it
        return
    try:
        old = yaml.safe_load(before or "") or {}
        new = yaml.safe_load(after)
    except yaml.YAMLError as exc:
        raise InitError(f"{PRE_COMMIT_CONFIG}: not valid YAML: {exc}") from None
    entry = _entry_data(repo, rev, args)
    ok = (
        isinstance(old, dict)
        and isinstance(new, dict)
        and isinstance(new.get("repos"), list)
        and new["repos"][-1:] == [entry]
        and new["repos"][:-1] == (old.get("repos") or [])
        and {k: v for k, v in new.items() if k != "repos"}
        == {k: v for k, v in old.items() if k != "repos"}
    )
    if not ok:
        raise InitError(
            f"{PRE_COMMIT_CONFIG}: its layout is not understood; {_by_hand(repo, rev, args)}"
        )


# ---------------------------------------------------------------- pyproject.toml


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else _toml_string(key)


def default_word_lines(keys: list[str] | None = None) -> list[str]:
    """``key = value`` lines for the word lists (all, or ``keys``), with their defaults."""
    out = []
    for key in ["deprecated-accessors", *WORD_LISTS]:
        if keys is not None and key not in keys:
            continue
        if key == "deprecated-accessors":
            pairs = ", ".join(
                f"{_toml_key(k)} = {_toml_string(v)}" for k, v in DEFAULT_ACCESSORS.items()
            )
            out.append(f"{key} = {{ {pairs} }}")
            continue
        values = [_toml_string(v) for v in WORD_LISTS[key]]
        line = f"{key} = [{', '.join(values)}]"
        if len(line) > 88:
            line = f"{key} = [\n" + "".join(f"    {v},\n" for v in values) + "]"
        out.append(line)
    return out


def _missing_keys(table: dict[str, Any]) -> list[str]:
    return [
        k
        for k in ["deprecated-accessors", *WORD_LISTS]
        if k not in table and f"extend-{k}" not in table
    ]


def add_table(text: str | None) -> str | None:
    """The pyproject with the tool's table (or its missing word lists); None when
    nothing is missing."""
    comment = [
        f"# The words netra-ws-lint {__version__}'s rules use, with their defaults: edit them to",
        "# match this code base (an `extend-` key adds to a default instead of replacing it).",
    ]
    if text is None:
        return "\n".join([f"[tool.{SECTION}]", *comment, *default_word_lines()]) + "\n"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InitError(f"pyproject.toml: invalid TOML ({exc}); fix it first") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    table = data.get("tool", {}).get(SECTION)
    if table is None:
        block = [f"[tool.{SECTION}]", *comment, *default_word_lines()]
        new = text
        if new.strip():
            if not new.endswith(("\n", "\r")):
                new += newline
            if not new.endswith(newline * 2):
                new += newline  # a blank line before the table
        new += "\n".join(block).replace("\n", newline) + newline
    else:
        if not isinstance(table, dict):
            raise InitError(f"pyproject.toml: [tool.{SECTION}] is not a table")
        missing = _missing_keys(table)
        if not missing:
            return None
        lines = text.splitlines(keepends=True)
        at = next((i for i, line in enumerate(lines) if _TABLE_HEADER_RE.match(line)), None)
        if at is None:
            raise InitError(
                f"pyproject.toml: the [tool.{SECTION}] table is not written as a "
                f"`[tool.{SECTION}]` section; add the word lists by hand:\n"
                + "\n".join(default_word_lines(missing))
            )
        added = "\n".join(default_word_lines(missing)).replace("\n", newline) + newline
        if not lines[at].endswith(("\n", "\r")):
            lines[at] += newline
        new = "".join(lines[: at + 1]) + added + "".join(lines[at + 1 :])
    _check_toml(text, new)
    return new


def _check_toml(before: str | None, after: str) -> None:
    """The edit added keys to the tool's table only, and they are valid settings."""
    try:
        new = tomllib.loads(after)
    except tomllib.TOMLDecodeError as exc:
        raise InitError(
            f"pyproject.toml: adding [tool.{SECTION}] would not be valid TOML ({exc}); "
            "add it by hand"
        ) from None
    old = tomllib.loads(before) if before else {}
    old_table = old.get("tool", {}).pop(SECTION, {})
    new_table = new.get("tool", {}).pop(SECTION, {})
    if old.get("tool") == {}:
        old.pop("tool")
    if new.get("tool") == {}:
        new.pop("tool")
    if old != new or any(new_table.get(k) != v for k, v in old_table.items()):
        raise InitError("pyproject.toml: the edit would change other settings; add it by hand")
    try:
        apply_options(Settings(), new_table, "pyproject.toml", all_rules())
    except ConfigError as exc:  # pragma: no cover - the defaults are valid
        raise InitError(str(exc)) from None


# ---------------------------------------------------------------- both


def installed_source() -> tuple[str | None, str | None]:
    """The repository URL and commit pip recorded for this installation
    (``direct_url.json``, PEP 610), when it was installed from git; else Nones."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        text = distribution(HOOK_ID).read_text("direct_url.json")
        data: Any = json.loads(text) if text else None
    except (PackageNotFoundError, ValueError, OSError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    vcs = data.get("vcs_info")
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git":
        return None, None
    url, commit = data.get("url"), vcs.get("commit_id")
    if not isinstance(url, str) or not isinstance(commit, str):
        return None, None
    return (url[len("git+") :] if url.startswith("git+") else url), commit


def default_hook(repo: str | None, rev: str | None) -> tuple[str, str]:
    """The remote hook's repository and revision: those given; a missing one is taken
    from what pip recorded when this copy was installed from git (the repository and
    its commit). :class:`InitError` when one is missing and pip recorded nothing: the
    project publishes no repository of its own, so nothing else would exist."""
    url, commit = installed_source()
    if rev is None and commit is not None and repo in (None, url):
        return url or "", commit
    if repo is None and url is not None and rev is not None:
        return url, rev
    if repo is None or rev is None:
        raise InitError(
            "a remote hook needs both --repo (your team's copy of netra-ws-lint) and --rev "
            "(a tag or commit in it); without them init writes a local hook running the "
            "installed tool"
        )
    return repo, rev


def plan(
    directory: Path,
    repo: str | None = None,
    rev: str | None = None,
    local: bool = False,
) -> list[Change]:
    """The files to write (nothing is written); :class:`InitError` if one cannot be
    edited safely. A new hook is local unless ``repo`` or ``rev`` is given; an existing
    entry of the hook is converted to the form asked for (``local``, or ``repo`` /
    ``rev``), and keeps its form when none is. With a baseline in ``directory`` the hook
    gets ``--baseline``."""
    changes = []
    cfg = directory / PRE_COMMIT_CONFIG
    old = _read(cfg)
    explicit = local or repo is not None or rev is not None
    local = local or (repo is None and rev is None)
    # a committed baseline: the hook fails only on new findings
    args = ("--baseline", BASELINE_FILE) if (directory / BASELINE_FILE).is_file() else ()
    if old is not None and _HOOK_ID_RE.search(old):
        # an existing entry keeps its form unless one is asked for (--local, --repo/--rev)
        target = ("local" if local else repo) if explicit else None
        new = update_hook(old, target, None if local else rev, args)
        if new is not None:
            parts = []
            if explicit and local:
                parts.append("a local hook running the installed tool")
            elif explicit:
                parts.append(f"repo {repo or 'unchanged'}, rev {rev or 'unchanged'}")
            if args:
                parts.append(f"with the baseline {BASELINE_FILE}")
            what = ", ".join(parts)
            changes.append(
                Change(cfg, new, f"updated the {HOOK_ID} hook in {PRE_COMMIT_CONFIG} ({what})", old)
            )
    else:
        hook_repo, hook_rev = ("local", "") if local else default_hook(repo, rev)
        new = add_hook(old, hook_repo, hook_rev, args)
        if new is not None:
            verb = "created" if old is None else "added the netra-ws-lint hook to"
            what = "a local hook running the installed tool" if local else f"rev {hook_rev}"
            if args:
                what += f", with the baseline {BASELINE_FILE}"
            changes.append(Change(cfg, new, f"{verb} {PRE_COMMIT_CONFIG} ({what})", old))
    py = directory / "pyproject.toml"
    old = _read(py)
    new = add_table(old)
    if new is not None:
        verb = "created" if old is None else "added the default word lists to"
        changes.append(Change(py, new, f"{verb} pyproject.toml [tool.{SECTION}]", old))
    return changes


def _read(path: Path) -> str | None:
    try:
        return read_text_file(path)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InitError(
            f"{path.name}: cannot read: {getattr(exc, 'strerror', None) or exc}"
        ) from None


def apply(changes: list[Change]) -> None:
    """Write the planned files: an existing one only if it still holds what the plan
    was made from (keeping its owner, group, mode and links); a new one never through
    a symbolic link."""
    for change in changes:
        data = change.text.encode("utf-8")
        try:
            if change.old is None:
                write_new_file(change.path, data, change.path.absolute().parent)
            else:
                rewrite_file(change.path, change.old.encode("utf-8"), data)
        except OSError as exc:
            raise InitError(f"{change.path.name}: not written: {exc.strerror or exc}") from None


def add_parser(sub: Any) -> None:
    init = sub.add_parser(
        "init", help="add the pre-commit hook and a [tool.netra-ws-lint] table to a repository"
    )
    init.add_argument(
        "directory", nargs="?", type=Path, default=Path("."), help="the repository (default: .)"
    )
    init.add_argument(
        "--repo",
        metavar="URL",
        help="a remote hook from your team's copy of the netra-ws-lint repository "
        "(with --rev; default: a local hook)",
    )
    init.add_argument(
        "--rev",
        metavar="REV",
        help="the tag or commit of --repo the hook runs (default: the commit this copy was "
        "installed from, when pip recorded one)",
    )
    init.add_argument(
        "--local",
        action="store_true",
        help="a `repo: local` hook running the installed netra-ws-lint (the default: no "
        "clone, works offline; the tool must be on PATH when git runs the hook)",
    )
    init.set_defaults(run=run)


def _git_hook_installed(directory: Path) -> bool:
    """Whether ``pre-commit install`` has been run in the repository at ``directory``
    (a best guess: a git directory of its own holding pre-commit's hook script)."""
    hook = directory / ".git" / "hooks" / "pre-commit"
    try:
        return hook.is_file() and b"pre-commit" in hook.read_bytes()[:65536]
    except OSError:
        return False


def next_steps(directory: Path, local: bool) -> list[str]:
    """What is left to do by hand for the hook to run on every commit."""
    steps = ["next steps:"]
    if _git_hook_installed(directory):
        steps.append("  pre-commit is installed in this repository: the hook runs on every commit")
    else:
        steps += [
            "  pip install pre-commit      # in the environment that has netra-ws-lint",
            "  pre-commit install          # then git runs the hook on every commit",
        ]
    steps.append("  pre-commit run --all-files  # once, to see the findings of every file")
    if local:
        steps.append(
            "  (the local hook runs the netra-ws-lint on PATH: commit with its virtualenv "
            "active, or install it with pipx)"
        )
    return steps


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if not args.directory.is_dir():
        raise ConfigError(f"init: {args.directory}: no such directory")
    if args.local and (args.repo or args.rev):
        raise ConfigError("init: --local cannot be combined with --repo or --rev")
    try:
        changes = plan(args.directory, args.repo, args.rev, args.local)
        apply(changes)
    except InitError as exc:
        print(f"netra-ws-lint: error: {exc}", file=stderr)
        return 2
    for change in changes:
        print(change.message, file=stdout)
    if not changes:
        print("already set up: nothing changed", file=stdout)
    try:  # the hook as it is now: a local one needs the tool on PATH
        config = read_text_file(args.directory / PRE_COMMIT_CONFIG)
    except (OSError, UnicodeDecodeError):
        config = ""
    local = bool(re.search(r"^[ \t]*-[ \t]+repo:[ \t]*['\"]?local\b", config, re.M))
    print("\n".join(next_steps(args.directory, local)), file=stdout)
    return 0
