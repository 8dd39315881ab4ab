"""``netra-ws-lint server``: a language server (LSP over stdio, built on pygls).

Diagnostics are published when a document is opened, changed (after a short pause in
typing) and saved, and for every Python file of the workspace at start-up when the
client asks for it (``initializationOptions: {"checkWorkspace": true}``). Code actions
apply a finding's safe fix, its unsafe fix (labelled so), add ``# noqa: CODE`` to its
line, or fix the whole file; hovering over a finding shows its rule's documentation.

Findings come from the engine exactly as the command line gets them: the same
configuration (the ``pyproject.toml`` / ``setup.cfg`` found from the file, then the
client's ``netra-ws-lint`` settings on top), the same rules and ``# noqa``, and the same
project model. Fixes are made by :mod:`netra_ws_lint.fix.apply` and
:mod:`netra_ws_lint.fix.add_noqa`, as ``check --fix`` and ``check --add-noqa`` make them
(fix-all checks each pass through the project model, as ``check --fix`` does).

The project model:

- A file's project is found upward from it (the directory of its configuration file,
  else its git root, else the innermost workspace folder holding it), never ``/`` nor
  the home directory; a file outside any project is checked on its own (no walk, no
  cache written).
- Each project's model (the facts of its modules, read from its cache or built) is
  loaded once, after the handshake, and kept in memory. An open document's unsaved
  text stands for its file; when it is closed the file's text does again. Files
  changed on disk are read again: the client is asked to watch ``**/*.py``; a client
  that cannot is served by looking at the files' modification times after each edit.
- An edit is checked against the model as it is, at once, in one background thread,
  while the server waits for the pause in typing; its diagnostics are sent after the
  pause. The edit's own facts are taken after: when they changed (a definition or an
  import was edited), it and the other open documents are checked again.

``initialize`` is answered by :mod:`.lsp` before this module is imported.

Strings from the checked repository never break the server: CR-only line endings
(positions and edits use LSP's line breaks), lone surrogates (a diagnostic), FIFOs and
devices (an unopened file is read only if it is a regular file within the size limit).
"""

from __future__ import annotations

import ast
import asyncio
import bisect
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition

from netra_ws_lint import __version__
from netra_ws_lint.config import ConfigError, Settings, apply_options, settings_for
from netra_ws_lint.engine.discovery import PYTHON_SUFFIXES, discover, project_files, project_root
from netra_ws_lint.engine.pipeline import normalize_newlines, parse_source
from netra_ws_lint.engine.runner import Run, new_run
from netra_ws_lint.model import Finding
from netra_ws_lint.report.docs import rule_doc
from netra_ws_lint.rules.fixes import SAFE, UNSAFE, char_col

NAME = "netra-ws-lint"
DEBOUNCE_SECONDS = 0.3
FIX_ALL_KIND = types.CodeActionKind.SourceFixAll.value + ".netra-ws-lint"
# the client settings that apply on top of the configuration files (config keys)
SETTING_KEYS = ("select", "extend-select", "ignore", "audit", "per-file-ignores")
_WORD_RE = re.compile(r"[\w.]+")


@dataclass
class Checked:
    """The findings of one version of a document, with the text they were made on."""

    version: int | None
    source: str
    path: Path
    settings: Settings
    findings: list[Finding] = field(default_factory=list)
    generation: int = 0  # the server's generation of facts they were made with


class NetraServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(NAME, __version__)
        self.client_settings: dict[str, Any] = {}
        self.check_workspace = False
        self.checked: dict[str, Checked] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        # the project model of each project root (facts of its modules, loaded once)
        self.runs: dict[Path, Run] = {}
        self.roots: list[Path] = []
        self.watching = False  # the client tells of files changed on disk
        self.mtimes: dict[Path, dict[Path, int | None]] = {}  # root -> file -> mtime
        self.generation = 0  # counts the changes of the project models' facts
        self.facts_changed = False  # a check changed a module's facts (see publish_soon)
        # path -> (run, item, text) of edits checked before their facts were taken
        self.deferred: dict[str, tuple[Run, Any, str]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's, once it runs
        self.lock = threading.RLock()  # the runs: loaded in the background, used on edits
        # one thread checks documents (and loads projects) off the event loop
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netra-check")


server = NetraServer()


# ---------------------------------------------------------------- the engine


def settings_of(ls: NetraServer, path: Path) -> Settings:
    """The file's configuration, then the client's settings on top."""
    settings = settings_for(path)
    options = {k: v for k, v in ls.client_settings.items() if k in SETTING_KEYS}
    return apply_options(settings, options, "the editor's settings") if options else settings


def findings_for(
    ls: NetraServer, path: Path, source: str, settings: Settings, defer: bool = False
) -> list[Finding]:
    """The findings of ``source`` (the text of ``path``): the one place the server
    calls the engine, through the same pipeline and project model as ``check``; the
    text's facts replace the file's in the project (unsaved edits are seen by the
    other files). A file outside any project is checked on its own (no project walk,
    no cache written)."""
    run = run_for(ls, path, settings)
    source = normalize_newlines(source)  # lines as the engine numbers them
    if run is None:
        from netra_ws_lint.engine.pipeline import check

        return check(str(path), settings, source=source).findings
    return _check_in_project(ls, run, path, source, settings, defer)


def _check_in_project(
    ls: NetraServer, run: Run, path: Path, source: str, settings: Settings, defer: bool = False
) -> list[Finding]:
    """:meth:`.Run.recheck` with ``keep`` (the text's facts replace the file's in the
    project), made for an edit: the text is parsed once for its facts and its check,
    and the rule set and prefilter of the project are reused until its facts change
    (building the prefilter of a 1,000-module project's names costs as much as the
    check)."""
    from netra_ws_lint.engine.fsutil import real_path
    from netra_ws_lint.engine.pipeline import check
    from netra_ws_lint.engine.walker import parse_source

    checker = run.checker
    item = run._items.get(real_path(path))
    if item is None or checker.settings[item.settings] != settings:
        item = run._item(path, str(path), settings, True)
    project = checker.project_of(item)
    tree = parse_source(source, str(path))
    if project is None or item.root is None or not isinstance(tree, ast.Module):
        return run.recheck(path, str(path), settings, source=source, keep=True).findings
    module = checker.module(item)
    if defer:  # the facts after the diagnostics are sent (see publish_soon)
        ls.deferred[item.path] = (run, item, source)
    else:
        ls.deferred.pop(item.path, None)
        project = _take_facts(ls, run, item, source, tree)
    return check(
        str(path),
        settings,
        source=source,
        tree=tree,
        rule_set=checker.rule_set(item.settings),
        prefilter=checker.prefilter(item.settings, item.root),
        project=project,
        module=module,
    ).findings


def _take_facts(ls: NetraServer, run: Run, item: Any, source: str, tree: Any = None) -> Any:
    """The project of ``item`` with the facts of ``source`` in it (kept: the other
    files see them); when they changed, the documents checked before are stale."""
    from netra_ws_lint.engine.facts import facts_from_source, facts_from_tree

    checker = run.checker
    project = checker.project_of(item)
    if project is None:
        return None
    module = checker.module(item)
    settings = checker.settings[item.settings]
    try:
        if tree is None:
            entry = facts_from_source(source, item.path, module, settings)
        else:
            entry = facts_from_tree(tree, source, item.path, module, settings)
    except (RecursionError, MemoryError):
        entry = None
    changed = project.with_entry(entry)
    if changed is not project:  # the text's facts changed: its dependents may too
        checker.projects[item.root] = project = changed
        checker._prefilters.clear()  # their words include the project's names
        ls.facts_changed = True
        ls.generation += 1
    return project


def flush_facts(ls: NetraServer) -> bool:
    """Take the facts of the texts checked with ``defer`` into their projects; True
    when some changed (what was checked with the old ones is checked again)."""
    with ls.lock:
        before = ls.generation
        pending, ls.deferred = ls.deferred, {}
        for run, item, source in pending.values():
            _take_facts(ls, run, item, source)
        return ls.generation != before


def _never_a_root(directory: Path) -> bool:
    """The file system's root or the home directory: never a project (walking it
    would read a whole disk, and its cache would land there)."""
    try:
        home = Path.home().absolute()
    except (RuntimeError, KeyError):  # no home directory known
        home = None
    return directory.parent == directory or directory == home


def root_of(ls: NetraServer, path: Path, settings: Settings) -> Path | None:
    """The project ``path`` belongs to, found upward from it: the directory of its
    configuration file, else its git root, else the innermost workspace folder
    holding it; None for a file outside any project (or when the only candidate is
    ``/`` or the home directory)."""
    root = project_root(path, settings)
    if root is not None and not _never_a_root(root.absolute()):
        return root.absolute()
    folders = [r.absolute() for r in ls.roots if r.absolute() in path.parents]
    folders = [r for r in folders if not _never_a_root(r)]
    return max(folders, key=lambda r: len(r.parts)) if folders else None


def run_for(ls: NetraServer, path: Path, settings: Settings) -> Run | None:
    """The run of ``path``'s project root (its facts read or built on first use, then
    kept in memory), or None outside any project."""
    root = root_of(ls, path, settings)
    if root is None:
        return None
    with ls.lock:
        run = ls.runs.get(root)
        if run is None:
            run = new_run(root, True, lambda _p, _s: root, jobs=1)
            files = project_files(root)
            run.check([], [(t.path, t.display, t.settings) for t in files])
            ls.runs[root] = run
            ls.mtimes[root] = {t.path.absolute(): _mtime(t.path.absolute()) for t in files}
    return run


def _mtime(path: Path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def sweep_disk(ls: NetraServer) -> bool:
    """For a client that does not tell the server of files changed on disk: the
    project files whose modification time changed since they were read are read
    again (the open ones excepted: the editor's text stands for them). True when
    one was."""
    changed = []
    with ls.lock:
        for files in ls.mtimes.values():
            for path, seen in files.items():
                now = _mtime(path)
                if now != seen:
                    files[path] = now
                    if path.as_uri() not in ls.workspace.text_documents:
                        changed.append(path)
        for path in changed:
            _from_disk(ls, path)
    return bool(changed)


def index_workspace(ls: NetraServer) -> list[Path]:
    """The Python files of the workspace folders."""
    if not ls.roots:
        return []
    targets, _ = discover([str(r) for r in ls.roots], {}, None, False, True)
    return [t.path.absolute() for t in targets if t.path.name.endswith(PYTHON_SUFFIXES)]


# ---------------------------------------------------------------- positions


def _client_position(
    doc_lines: list[str], line: int, char: int, doc: TextDocument
) -> types.Position:
    return doc.position_codec.position_to_client_units(
        doc_lines, ServerTextPosition(line=line, character=char)
    )


def finding_range(f: Finding, lines: list[str], doc: TextDocument) -> types.Range:
    """The finding's place: from its column over the name or dotted name there."""
    i = min(max(f.line - 1, 0), max(len(lines) - 1, 0))
    text = lines[i] if lines else ""
    start = char_col(text, f.col) if f.line - 1 == i else 0
    m = _WORD_RE.match(text, start)
    end = m.end() if m else min(start + 1, len(text))
    return types.Range(
        start=_client_position(lines, i, start, doc), end=_client_position(lines, i, end, doc)
    )


def diagnostic(f: Finding, lines: list[str], doc: TextDocument) -> types.Diagnostic:
    return types.Diagnostic(
        range=finding_range(f, lines, doc),
        message=f.message,
        severity=types.DiagnosticSeverity.Information
        if f.audit
        else types.DiagnosticSeverity.Warning,
        code=f.code,
        source=NAME,
        data={"fix": f.fix.applicability if f.fix is not None else None},
    )


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _lines(source: str) -> list[str]:
    """The document's lines as LSP counts them (split at ``\\r\\n``, ``\\r`` and
    ``\\n``), which are the lines the findings are numbered on."""
    return _LINE_BREAK.split(source)


def _text_edit(old: str, new: str, doc: TextDocument) -> types.TextEdit:
    """One edit turning ``old`` into ``new``: the span between their common prefix
    and suffix (never splitting a ``\\r\\n``)."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    if 0 < start <= len(old) - end and old[start - 1 : start + 1] == "\r\n":
        start -= 1  # the edit starts on the line break, not inside it
    stop = len(old) - end
    if start <= stop < len(old) and stop > 0 and old[stop - 1 : stop + 1] == "\r\n":
        end -= 1
    starts = [0] + [m.end() for m in _LINE_BREAK.finditer(old)]
    lines = _lines(old)

    def position(offset: int) -> types.Position:
        line = bisect.bisect_right(starts, offset) - 1
        return _client_position(lines, line, offset - starts[line], doc)

    return types.TextEdit(
        range=types.Range(start=position(start), end=position(len(old) - end)),
        new_text=new[start : len(new) - end],
    )


# ---------------------------------------------------------------- diagnostics


def _document_text(ls: NetraServer, uri: str) -> str | None:
    """The text of ``uri``: the editor's when it is open, else the file's, read only
    if it is a regular file within the size limit (a FIFO or a device is never
    opened for reading: it could block the server for good)."""
    doc: TextDocument | None = ls.workspace.text_documents.get(uri)
    if doc is not None:
        return str(doc.source)
    fs_path = to_fs_path(uri)
    if fs_path is None:
        return None
    from netra_ws_lint.engine.source import DecodeError, decode_source, read_source_bytes

    try:
        return decode_source(read_source_bytes(Path(fs_path)))
    except (OSError, DecodeError):
        return None


def _version(ls: NetraServer, uri: str) -> int | None:
    doc = ls.workspace.text_documents.get(uri)
    return doc.version if doc is not None else None


def _document(ls: NetraServer, uri: str, source: str) -> TextDocument:
    """The workspace's document for ``uri`` when it is open, else one holding
    ``source`` (a file never opened is never read by pygls)."""
    doc: TextDocument | None = ls.workspace.text_documents.get(uri)
    if doc is not None:
        return doc
    return TextDocument(uri, source, position_codec=ls.workspace.position_codec)


def check_document(ls: NetraServer, uri: str, defer: bool = False) -> Checked | None:
    """The findings of the document now. ``defer``: against the project as it is (its
    own facts as last taken: the same unless this edit changed them), its new facts
    taken by :func:`flush_facts` after; otherwise any such facts are taken first."""
    fs_path = to_fs_path(uri)
    if fs_path is None or not fs_path.endswith(PYTHON_SUFFIXES):
        return None
    source = _document_text(ls, uri)
    if source is None:
        return None
    path = Path(fs_path).absolute()
    try:
        settings = settings_of(ls, path)
    except ConfigError as exc:
        shown = types.ShowMessageParams(type=types.MessageType.Error, message=f"{NAME}: {exc}")
        if ls.loop is not None and threading.current_thread() is not threading.main_thread():
            ls.loop.call_soon_threadsafe(ls.window_show_message, shown)  # sent by the loop
        else:
            ls.window_show_message(shown)
        return None
    checked = Checked(_version(ls, uri), source, path, settings)
    try:
        with ls.lock:
            if not defer:
                flush_facts(ls)
            checked.findings = findings_for(ls, path, source, settings, defer)
            checked.generation = ls.generation
    except Exception as exc:  # never a traceback for a user: one clear diagnostic
        checked.findings = [
            Finding(1, 0, "NWS900", f"cannot check this file: {type(exc).__name__}: {exc}")
        ]
    ls.checked[uri] = checked
    return checked


def publish(ls: NetraServer, uri: str) -> None:
    checked = check_document(ls, uri)
    if checked is not None:
        send_diagnostics(ls, uri, checked)


def diagnostics_of(ls: NetraServer, uri: str, checked: Checked) -> list[types.Diagnostic]:
    doc = _document(ls, uri, checked.source)
    lines = _lines(checked.source)
    return [diagnostic(f, lines, doc) for f in checked.findings]


def send_diagnostics(
    ls: NetraServer, uri: str, checked: Checked, made: list[types.Diagnostic] | None = None
) -> None:
    """Publish ``checked``'s diagnostics (``made``: already made from them)."""
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(
            uri=uri,
            version=checked.version,
            diagnostics=made if made is not None else diagnostics_of(ls, uri, checked),
        )
    )


def _check_if_current(
    ls: NetraServer, uri: str, version: int | None, defer: bool = False
) -> tuple[Checked, list[types.Diagnostic]] | None:
    """In the checking thread: the document checked, and its diagnostics, unless it
    changed since."""
    if _version(ls, uri) != version:
        return None
    checked = check_document(ls, uri, defer)
    return None if checked is None else (checked, diagnostics_of(ls, uri, checked))


async def publish_soon(ls: NetraServer, uri: str, wait: float = 0.0) -> None:
    """Check the document in the checking thread at once and publish its diagnostics
    after ``wait`` seconds (the pause in typing overlaps the check), unless it
    changed meanwhile. The event loop stays free to answer requests.

    After an edit (``wait``) the text is checked against the project as it is, and
    its own facts are taken after the diagnostics are sent: when they changed (a
    definition or an import was edited), it and the other open documents are
    checked again with them."""
    loop = asyncio.get_running_loop()
    version = _version(ls, uri)
    defer = bool(wait)
    job = loop.run_in_executor(ls.executor, _check_if_current, ls, uri, version, defer)
    if wait:
        await asyncio.sleep(wait)
    done = await job
    if done is not None and done[0].version == _version(ls, uri):
        send_diagnostics(ls, uri, *done)
    if defer:
        changed = await loop.run_in_executor(ls.executor, flush_facts, ls)
        if not ls.watching:  # nobody tells of files changed on disk: look
            changed = await loop.run_in_executor(ls.executor, sweep_disk, ls) or changed
        if changed:  # its own facts, or a file on disk: every open document again
            ls.facts_changed = False
            _republish_open(ls)
            return
    if ls.facts_changed:  # the other open documents may read what changed
        ls.facts_changed = False
        _republish_open(ls, but=uri)


def _current(ls: NetraServer, uri: str) -> Checked | None:
    """The findings of the document as it is now (checked again if it changed)."""
    doc = ls.workspace.text_documents.get(uri)
    checked = ls.checked.get(uri)
    if (
        doc is not None
        and checked is not None
        and checked.version == doc.version
        and checked.source == doc.source
        and checked.generation == ls.generation
    ):
        return checked
    return check_document(ls, uri)


@server.feature(types.INITIALIZE)
def initialize(ls: NetraServer, params: types.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict):
        ls.check_workspace = bool(options.get("checkWorkspace"))
        settings = options.get("settings")
        if isinstance(settings, dict):
            ls.client_settings = settings
    folders = params.workspace_folders or []
    roots = [to_fs_path(f.uri) for f in folders]
    if not roots and params.root_uri:
        roots = [to_fs_path(params.root_uri)]
    ls.roots = [Path(r) for r in roots if r]


@server.feature(types.INITIALIZED)
async def initialized(ls: NetraServer, params: types.InitializedParams) -> None:
    ls.loop = asyncio.get_running_loop()
    await _load_client_settings(ls)
    _watch_files(ls)
    loop = asyncio.get_running_loop()
    # the workspace's project models, loaded in the checking thread after the handshake
    await loop.run_in_executor(ls.executor, _preload, ls)
    if ls.check_workspace:
        for path in await loop.run_in_executor(ls.executor, index_workspace, ls):
            await publish_soon(ls, path.as_uri())


def _preload(ls: NetraServer) -> None:
    for folder in ls.roots:
        probe = folder.absolute() / "__init__.py"
        try:
            run_for(ls, probe, settings_of(ls, probe))
        except Exception:  # a broken configuration: said when a file is checked
            continue


def _watch_files(ls: NetraServer) -> None:
    """Ask the client to tell the server of Python files changed on disk."""
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps is not None else None
    if watched is None or not watched.dynamic_registration:
        return  # the modification times are looked at after each edit instead
    ls.watching = True
    ls.client_register_capability(
        types.RegistrationParams(
            registrations=[
                types.Registration(
                    id="netra-ws-lint-watch",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[types.FileSystemWatcher(glob_pattern="**/*.py")]
                    ),
                )
            ]
        )
    )


def _from_disk(ls: NetraServer, path: Path) -> None:
    """The project model takes ``path``'s facts from the file again (its editor
    buffer was closed, or it changed on disk); an absent file counts as empty."""
    try:
        settings = settings_of(ls, path)
    except ConfigError:
        return
    root = root_of(ls, path, settings)
    with ls.lock:
        run = ls.runs.get(root) if root is not None else None
        if run is None:
            return
        source = None if path.is_file() else ""
        run.recheck(path, str(path), settings, source=source, keep=True)
        ls.generation += 1


def _all_from_disk(ls: NetraServer, paths: list[Path]) -> None:
    for path in paths:
        _from_disk(ls, path)


def _republish_open(ls: NetraServer, but: str | None = None) -> None:
    for uri in list(ls.workspace.text_documents):
        task = ls.pending.get(uri)
        idle = task is None or task.done() or task is asyncio.current_task()
        if uri != but and uri in ls.checked and idle:
            ls.pending[uri] = asyncio.ensure_future(publish_soon(ls, uri))


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(
    ls: NetraServer, params: types.DidChangeWatchedFilesParams
) -> None:
    paths = []
    for change in params.changes:
        fs_path = to_fs_path(change.uri)
        if fs_path is None or not fs_path.endswith(PYTHON_SUFFIXES):
            continue
        if change.uri in ls.workspace.text_documents:
            continue  # the editor's text stands for the file while it is open
        paths.append(Path(fs_path).absolute())
    if paths:  # one job: no check runs between the files of one change
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(ls.executor, _all_from_disk, ls, paths)
        _republish_open(ls)


async def _load_client_settings(ls: NetraServer) -> None:
    caps = ls.client_capabilities.workspace
    if caps is None or not caps.configuration:
        return
    try:
        answer = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=NAME)])
        )
    except Exception as exc:  # a client that cannot answer: files' settings only
        ls.window_log_message(
            types.LogMessageParams(type=types.MessageType.Warning, message=f"{NAME}: {exc}")
        )
        return
    if answer and isinstance(answer[0], dict):
        ls.client_settings = answer[0]


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: NetraServer, params: types.DidChangeConfigurationParams
) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get(NAME), dict):
        ls.client_settings = settings[NAME]
    else:
        await _load_client_settings(ls)
    for uri in list(ls.checked):
        publish(ls, uri)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: NetraServer, params: types.DidOpenTextDocumentParams) -> None:
    await publish_soon(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: NetraServer, params: types.DidSaveTextDocumentParams) -> None:
    _cancel(ls, params.text_document.uri)
    await publish_soon(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: NetraServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    _cancel(ls, uri)

    async def later() -> None:
        try:
            await publish_soon(ls, uri, DEBOUNCE_SECONDS)
        finally:
            if ls.pending.get(uri) is task:
                del ls.pending[uri]

    task = ls.pending[uri] = asyncio.ensure_future(later())


def _cancel(ls: NetraServer, uri: str) -> None:
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: NetraServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    _cancel(ls, uri)
    checked = ls.checked.pop(uri, None)
    if not ls.check_workspace:  # the workspace's findings stay; an open file's go
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )
    if checked is not None:  # its unsaved text leaves the project model
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(ls.executor, _from_disk, ls, checked.path)
        _republish_open(ls)


# ---------------------------------------------------------------- code actions


def _on_lines(f: Finding, first: int, last: int) -> bool:
    return first <= f.line - 1 <= last


def _edit(uri: str, doc: TextDocument, old: str, new: str) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=doc.version
                ),
                edits=[_text_edit(old, new, doc)],
            )
        ]
    )


def fix_one(checked: Checked, f: Finding) -> str | None:
    """The text with the fix of ``f`` applied (verified to parse), or None."""
    from netra_ws_lint.fix.apply import FixError, apply_fixes

    try:
        new, applied = apply_fixes(checked.source, [f], str(checked.path))
    except FixError:  # a fix that cannot be applied is not offered
        return None
    if not applied or isinstance(parse_source(normalize_newlines(new), "<fix>"), Finding):
        return None
    return new


def fix_all(ls: NetraServer, checked: Checked, unsafe: bool = False) -> str | None:
    """The text with every fix applied, as ``check --fix`` makes it: each pass checked
    through the project model (a fix that imports a factory from another module
    needs it), the buffer's own facts left as they are."""
    from netra_ws_lint.fix.apply import FixError, fix_text

    path, settings = checked.path, checked.settings
    with ls.lock:
        run = run_for(ls, path, settings)
        checker = None
        if run is not None:

            def checker(text: str) -> list[Finding]:
                return run.recheck(path, str(path), settings, source=text).findings

        try:
            new, _ = fix_text(checked.source, str(path), settings, unsafe, checker=checker)
        except FixError:
            return None
    return new if new != checked.source else None


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll],
        resolve_provider=False,
    ),
)
def code_actions(ls: NetraServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    from netra_ws_lint.fix.add_noqa import add_noqa_to_source

    uri = params.text_document.uri
    checked = _current(ls, uri)
    if checked is None:
        return []
    doc = _document(ls, uri, checked.source)
    lines = _lines(checked.source)
    only = params.context.only
    actions: list[types.CodeAction] = []
    want_quick = not only or any(k.startswith(types.CodeActionKind.QuickFix) for k in only)
    want_all = not only or any(
        types.CodeActionKind.SourceFixAll.value.startswith(k) or k.startswith("source.fixAll")
        for k in only
    )
    first, last = params.range.start.line, params.range.end.line
    if want_quick:
        for f in checked.findings:
            if not _on_lines(f, first, last):
                continue
            diag = [diagnostic(f, lines, doc)]
            if f.fix is not None and f.fix.edits and f.fix.applicability in (SAFE, UNSAFE):
                new = fix_one(checked, f)
                if new is not None:
                    label = "" if f.fix.applicability == SAFE else " (unsafe: changes behaviour)"
                    actions.append(
                        types.CodeAction(
                            title=f"{NAME}: {f.fix.message}{label}",
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=diag,
                            is_preferred=f.fix.applicability == SAFE,
                            edit=_edit(uri, doc, checked.source, new),
                        )
                    )
            noqa, changed = add_noqa_to_source(checked.source, [f])
            if changed:
                actions.append(
                    types.CodeAction(
                        title=f"{NAME}: add `# noqa: {f.code}` to this line",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=diag,
                        edit=_edit(uri, doc, checked.source, noqa),
                    )
                )
    if want_all and any(
        f.fix is not None and f.fix.applicability == SAFE for f in checked.findings
    ):
        new = fix_all(ls, checked)
        if new is not None:
            actions.append(
                types.CodeAction(
                    title=f"{NAME}: fix all safely fixable findings in this file",
                    kind=FIX_ALL_KIND,
                    edit=_edit(uri, doc, checked.source, new),
                )
            )
    return actions


# ---------------------------------------------------------------- hover


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: NetraServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    checked = _current(ls, uri)
    if checked is None:
        return None
    doc = _document(ls, uri, checked.source)
    lines = _lines(checked.source)
    pos = params.position
    here = []
    for f in checked.findings:
        r = finding_range(f, lines, doc)
        if r.start.line == pos.line and r.start.character <= pos.character <= r.end.character:
            here.append(f)
    if not here:
        return None
    docs = []
    for code in dict.fromkeys(f.code for f in here):
        text = rule_doc(code)
        if text is not None:
            docs.append(text)
    if not docs:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n---\n\n".join(docs)),
        range=finding_range(here[0], lines, doc),
    )


class _Replayed:
    """stdin with the bytes already read in front of it (the first message, read
    before the server was imported)."""

    def __init__(self, prelude: bytes, stream: Any) -> None:
        self.prelude = prelude
        self.stream = stream

    def readline(self) -> bytes:
        if self.prelude:
            cut = self.prelude.find(b"\n") + 1 or len(self.prelude)
            line, self.prelude = self.prelude[:cut], self.prelude[cut:]
            return line
        return bytes(self.stream.readline())

    def read(self, n: int) -> bytes:
        if self.prelude:
            part, self.prelude = self.prelude[:n], self.prelude[n:]
            return part + (bytes(self.stream.read(n - len(part))) if n > len(part) else b"")
        return bytes(self.stream.read(n))


class _Answered:
    """stdout without the server's answer to the request already answered."""

    def __init__(self, stream: Any, answered: Any) -> None:
        self.stream = stream
        self.answered = answered

    def write(self, data: bytes) -> None:
        if self.answered is not None:
            _, _, body = data.partition(b"\r\n\r\n")
            try:
                msg = json.loads(body)
            except ValueError:
                msg = None
            if isinstance(msg, dict) and "method" not in msg and msg.get("id") == self.answered:
                self.answered = None
                return
        self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        self.stream.close()


def serve(prelude: bytes = b"", answered: Any = None) -> None:
    """Serve on stdin/stdout; ``prelude``: the bytes of stdin already read (their
    request ``answered`` already has its answer: the server's own is dropped)."""
    import sys

    stdin: Any = _Replayed(prelude, sys.stdin.buffer)  # read and written as pygls does
    stdout: Any = _Answered(sys.stdout.buffer, answered)
    server.start_io(stdin, stdout)
