"""The language server end to end: a real LSP client (pytest-lsp) talks to
``netra-ws-lint server`` over stdio, as an editor does."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")  # Python 3.10+ (pip install -e '.[test]')

from lsprotocol import types  # noqa: E402
from pygls.workspace import TextDocument  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "netra_ws_lint", "server"])

BAD = (
    "from app.websocket_core import get_websocket_manager\n"
    "\n"
    "\n"
    "async def on_message(user_context, message):\n"
    "    manager = get_websocket_manager()\n"
    "    await manager.send_event('message', message)\n"
)
UNSAFE = (
    "async def send_progress(event, user_context=None):\n"
    "    return await notify(user_context, event)\n"
    "\n"
    "\n"
    "async def run(user_context):\n"
    "    await send_progress('started')\n"
)


pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]  # two server starts


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("workspace")
    (tmp_path / "pyproject.toml").write_text('[tool.netra-ws-lint]\nignore = ["NWS102"]\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "handlers.py").write_text(BAD)
    return tmp_path


async def _start(
    client: LanguageClient,
    root: Path,
    options: object = None,
    capabilities: types.ClientCapabilities | None = None,
) -> None:
    client.registrations = []  # type: ignore[attr-defined]
    client.published = []  # type: ignore[attr-defined]

    def published(params: types.PublishDiagnosticsParams) -> None:  # with their version
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]

    client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = published

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:  # as VS Code does
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            initialization_options=options,
        )
    )


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, workspace: Path) -> AsyncIterator[None]:
    await _start(lsp_client, workspace)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def plain_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plain")
    (root / ".git").mkdir()
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "provider.py").write_text(PROVIDER)
    (root / "app" / "user.py").write_text(USER)
    return root


@pytest_lsp.fixture(config=SERVER, scope="module")
async def plain_client(lsp_client: LanguageClient, plain_root: Path) -> AsyncIterator[None]:
    """A client that cannot be asked to watch files (no dynamic registration)."""
    await _start(lsp_client, plain_root, capabilities=types.ClientCapabilities())
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER, scope="module")
async def workspace_client(lsp_client: LanguageClient, workspace: Path) -> AsyncIterator[None]:
    await _start(lsp_client, workspace, {"checkWorkspace": True})
    yield
    await lsp_client.shutdown_session()


class Editor:
    """The client's side of one open document: the text the user sees."""

    def __init__(self, client: LanguageClient, path: Path, text: str) -> None:
        self.client, self.uri = client, path.as_uri()
        self.doc = TextDocument(self.uri, text, version=1)

    async def open(self) -> list[types.Diagnostic]:
        self.expect()
        waiting = await self._waiting()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri, language_id="python", version=1, text=self.doc.source
                )
            )
        )
        return await waiting

    async def _waiting(self) -> asyncio.Future[list[types.Diagnostic]]:
        """:meth:`latest`, waiting already (before a message is sent)."""
        waiting = asyncio.ensure_future(self.latest())
        await asyncio.sleep(0)
        return waiting

    def expect(self) -> None:
        """Forget this document's diagnostics: the next ones published are awaited."""
        self.client.diagnostics.pop(self.uri, None)

    async def diagnostics(self) -> list[types.Diagnostic]:
        """The diagnostics published for this document since :meth:`expect`."""

        async def published() -> None:
            while self.uri not in self.client.diagnostics:
                await self.client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

        await asyncio.wait_for(published(), 20)
        return list(self.client.diagnostics[self.uri])

    async def latest(self) -> list[types.Diagnostic]:
        """The diagnostics published next for this document's current version (those
        of an older version, checked before the last edit arrived, are skipped)."""
        log: list[types.PublishDiagnosticsParams] = self.client.published  # type: ignore[attr-defined]
        seen = len(log)

        async def published() -> list[types.Diagnostic]:
            nonlocal seen
            while True:
                for params in log[seen:]:
                    if params.uri == self.uri and params.version == self.doc.version:
                        return list(params.diagnostics)
                seen = len(log)
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(published(), 20)

    async def until(self, want: Any, seen: int) -> list[types.Diagnostic]:
        """The first diagnostics published for this document after the ``seen``-th
        publish of the session that satisfy ``want`` (a republish made before a
        change may come first)."""
        log: list[types.PublishDiagnosticsParams] = self.client.published  # type: ignore[attr-defined]

        async def published() -> list[types.Diagnostic]:
            while True:
                for params in log[seen:]:
                    if params.uri == self.uri and want(list(params.diagnostics)):
                        return list(params.diagnostics)
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(published(), 20)

    async def actions(self, line: int, only: list[str] | None = None) -> list[types.CodeAction]:
        diags = self.client.diagnostics.get(self.uri, [])
        got = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri),
                range=types.Range(
                    start=types.Position(line=line, character=0),
                    end=types.Position(line=line, character=0),
                ),
                context=types.CodeActionContext(diagnostics=diags, only=only),
            )
        )
        return [a for a in got or [] if isinstance(a, types.CodeAction)]

    async def apply(self, action: types.CodeAction) -> list[types.Diagnostic]:
        """Apply the action's edit as an editor does, tell the server, and return
        the diagnostics it publishes for the new text."""
        assert action.edit is not None and action.edit.document_changes
        change = action.edit.document_changes[0]
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.version == self.doc.version
        events = []
        for edit in change.edits:
            assert isinstance(edit, types.TextEdit)
            event = types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)
            self.doc.apply_change(event)
            events.append(event)
        return await self.change(events)

    async def change(
        self, events: list[types.TextDocumentContentChangeEvent]
    ) -> list[types.Diagnostic]:
        self.doc.version = (self.doc.version or 0) + 1
        self.expect()
        waiting = await self._waiting()
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.doc.version
                ),
                content_changes=events,
            )
        )
        return await waiting


def _codes(diags: list[types.Diagnostic]) -> list[tuple[int, str]]:
    return [(d.range.start.line + 1, str(d.code)) for d in diags]


async def test_quick_fix_makes_the_diagnostic_go(client: LanguageClient, workspace: Path) -> None:
    path = workspace / "app" / "handlers.py"
    editor = Editor(client, path, BAD)
    diags = await editor.open()
    # NWS102 is ignored by the workspace's pyproject.toml
    assert _codes(diags) == [(5, "NWS101")]
    (d,) = diags
    assert d.source == "netra-ws-lint"
    assert (d.range.start.character, d.range.end.character) == (14, 35)  # the callee's name
    assert "get_websocket_manager()" in d.message

    actions = await editor.actions(4)
    titles = [a.title for a in actions]
    fix = next(a for a in actions if "create_websocket_manager(user_context)" in a.title)
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert "unsafe" not in fix.title
    assert any("add `# noqa: NWS101`" in t for t in titles), titles
    assert await editor.apply(fix) == []
    assert editor.doc.source == BAD.replace(
        "get_websocket_manager()", "create_websocket_manager(user_context)"
    ).replace("import get_websocket_manager", "import create_websocket_manager")


async def test_hover_shows_the_rule_doc(client: LanguageClient, workspace: Path) -> None:
    editor = Editor(client, workspace / "app" / "handlers.py", BAD)
    await editor.open()
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=editor.uri),
            position=types.Position(line=4, character=20),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("# deprecated-accessor-call (NWS101)")
    assert "## Why is this bad?" in hover.contents.value
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=editor.uri),
            position=types.Position(line=3, character=2),
        )
    )
    assert nothing is None


async def test_noqa_unsafe_and_fix_all_actions(client: LanguageClient, workspace: Path) -> None:
    editor = Editor(client, workspace / "app" / "noqa.py", BAD)
    await editor.open()
    noqa = next(a for a in await editor.actions(4) if "noqa" in a.title)
    assert await editor.apply(noqa) == []
    assert "get_websocket_manager()  # noqa: NWS101\n" in editor.doc.source

    unsafe = Editor(client, workspace / "app" / "progress.py", UNSAFE)
    assert _codes(await unsafe.open()) == [(6, "NWS303")]
    (fix,) = [a for a in await unsafe.actions(5) if "noqa" not in a.title]
    assert "(unsafe: changes behaviour)" in fix.title and not fix.is_preferred
    assert await unsafe.apply(fix) == []
    assert "send_progress('started', user_context=user_context)" in unsafe.doc.source

    second = BAD.split("\n\n\n", 1)[1].replace("on_message", "on_close")
    many = Editor(client, workspace / "app" / "many.py", BAD + "\n\n" + second)
    assert _codes(await many.open()) == [(5, "NWS101"), (10, "NWS101")]
    (fix_all,) = await many.actions(0, only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind.startswith("source.fixAll")
    assert await many.apply(fix_all) == []
    assert "get_websocket_manager" not in many.doc.source


async def test_changes_are_checked_and_settings_come_from_the_client(
    client: LanguageClient, workspace: Path
) -> None:
    editor = Editor(client, workspace / "app" / "typing.py", "x = 1\n")
    assert await editor.open() == []
    # several quick edits: the server checks after the pause, the latest text
    editor.expect()
    latest = None
    for text in (
        "m = get_websocket_manager()\n",
        "def f(user_id):\n    m = get_websocket_manager()\n",
    ):
        editor.doc = TextDocument(editor.uri, text, version=editor.doc.version)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=editor.uri, version=(editor.doc.version or 0) + 1
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        editor.doc.version = (editor.doc.version or 0) + 1
        if latest is None:
            latest = asyncio.ensure_future(editor.latest())
            await asyncio.sleep(0)  # waiting before the next edit is sent
    assert latest is not None
    diags = await latest
    assert _codes(diags) == [(2, "NWS101")]

    seen = len(client.published)  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"netra-ws-lint": {"ignore": ["NWS1"]}})
    )
    assert await editor.until(lambda diags: diags == [], seen) == []


async def test_the_workspace_is_checked_on_start_up_when_asked(
    workspace_client: LanguageClient, workspace: Path
) -> None:
    # no document is opened: the server checks the workspace's files from disk
    handlers = Editor(workspace_client, workspace / "app" / "handlers.py", BAD)
    assert _codes(await handlers.diagnostics()) == [(5, "NWS101")]


# ---------------------------------------------------------------- hostile documents


async def test_a_file_outside_any_project_is_checked_alone(
    client: LanguageClient, workspace: Path
) -> None:
    _default_settings(client)
    uri = "file:///nws_outside_any_project.py"
    editor = Editor(client, Path("/nws_outside_any_project.py"), BAD)
    assert editor.uri == uri
    started = asyncio.get_running_loop().time()
    diags = await editor.open()
    assert asyncio.get_running_loop().time() - started < 1.0
    assert (5, "NWS101") in _codes(diags)  # checked, with the default settings
    assert not Path("/.netra-ws-lint-cache").exists()


async def test_a_lone_surrogate_gives_a_diagnostic(client: LanguageClient, workspace: Path) -> None:
    editor = Editor(client, workspace / "app" / "surrogate.py", BAD + 'x = "\ud800"\n')
    started = asyncio.get_running_loop().time()
    diags = await editor.open()
    assert asyncio.get_running_loop().time() - started < 1.0
    assert diags and all(d.source == "netra-ws-lint" for d in diags)
    assert any("surrogate" in d.message for d in diags), diags


async def test_hover_on_an_unopened_fifo_does_not_hang(
    client: LanguageClient, workspace: Path
) -> None:
    fifo = workspace / "app" / "pipe.py"
    os.mkfifo(fifo)
    started = asyncio.get_running_loop().time()
    got = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=fifo.as_uri()),
                position=types.Position(line=0, character=0),
            )
        ),
        1.0,
    )
    assert got is None
    assert asyncio.get_running_loop().time() - started < 1.0


async def test_cr_only_positions_and_edits() -> None:
    """LSP lines end at \\r\\n, \\r or \\n: the lines and the edits of the server use
    those (an edit made for a CR-only buffer applies to it as the editor applies it)."""
    from netra_ws_lint.cli.server import _lines, _text_edit

    old = "a = 1\rb = get()\rc = 3\r"
    new = "a = 1\rb = make(x)\rc = 3\r"
    assert _lines(old) == ["a = 1", "b = get()", "c = 3", ""]
    doc = TextDocument("file:///m.py", old)
    edit = _text_edit(old, new, doc)
    assert (edit.range.start.line, edit.range.start.character) == (1, 4)
    doc.apply_change(types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text))
    assert doc.source == new
    crlf = "x = 1\r\ny = 2\r\n"
    edit = _text_edit(crlf, "x = 1\r\n", TextDocument("file:///n.py", crlf))
    assert (edit.range.start.line, edit.range.start.character) == (1, 0)


async def test_initialize_is_answered_before_the_server_is_imported() -> None:
    """The answer to initialize comes from a module that imports neither pygls'
    server nor the linter, and names the capabilities pygls computes."""
    import json
    import subprocess

    from netra_ws_lint.cli.lsp import capabilities
    from netra_ws_lint.cli.server import server

    fm = server.protocol.fm
    from pygls.capabilities import ServerCapabilitiesBuilder

    client = client_capabilities("visual-studio-code")
    built = ServerCapabilitiesBuilder(
        client,
        set({**fm.features, **fm.builtin_features}.keys()),
        fm.feature_options,
        list(fm.commands.keys()),
        server._text_document_sync_kind,
        server._notebook_document_sync,
        ServerCapabilitiesBuilder.choose_position_encoding(client),
    ).build()
    params = server.protocol._converter.unstructure(types.InitializeParams(capabilities=client))
    assert capabilities(params) == server.protocol._converter.unstructure(built)
    code = (
        "import io, sys\n"
        "from netra_ws_lint.cli.lsp import answer_initialize, frame\n"
        "msg = frame({'id': 1, 'method': 'initialize', 'params': {'capabilities': {}}})\n"
        "out = io.BytesIO()\n"
        "raw, answered = answer_initialize(io.BytesIO(msg), out)\n"
        "assert raw == msg and answered == 1\n"
        "light = ('netra_ws_lint', 'netra_ws_lint.cli', 'netra_ws_lint.cli.lsp')\n"
        "heavy = [m for m in sys.modules if m.startswith(('lsprotocol', 'pygls.', "
        "'netra_ws_lint')) and m not in light]\n"
        "print(heavy, out.getvalue().split(b'\\r\\n\\r\\n', 1)[1].decode())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    heavy, _, body = proc.stdout.partition(" ")
    assert heavy == "[]"
    assert json.loads(body)["result"]["capabilities"]["hoverProvider"] is True


def _default_settings(client: LanguageClient) -> None:
    """The client's settings back to none (a test before set some)."""
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"netra-ws-lint": {}})
    )


async def test_cr_only_line_endings(client: LanguageClient, workspace: Path) -> None:
    _default_settings(client)
    text = BAD.replace("\n", "\r")
    editor = Editor(client, workspace / "app" / "old_mac.py", text)
    diags = await editor.open()
    assert _codes(diags) == [(5, "NWS101")]
    assert (diags[0].range.start.character, diags[0].range.end.character) == (14, 35)
    fix = next(a for a in await editor.actions(4) if "create_websocket_manager" in a.title)
    assert await editor.apply(fix) == []
    assert editor.doc.source == BAD.replace(
        "get_websocket_manager()", "create_websocket_manager(user_context)"
    ).replace("import get_websocket_manager", "import create_websocket_manager").replace("\n", "\r")


PROVIDER = "def get_manager():\n    return ChatWebSocketManager()\n"
SINGLETON = (
    "_instance = None\n\n\n"
    "def get_manager():\n"
    "    global _instance\n"
    "    if _instance is None:\n"
    "        _instance = ChatWebSocketManager()\n"
    "    return _instance\n"
)
USER = (
    "from app.provider import get_manager\n\n\n"
    "async def on_message(user_context, message):\n"
    "    get_manager().send_to_user(message)\n"
)


def _watched(client: LanguageClient, *paths: Path) -> None:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=p.as_uri(), type=types.FileChangeType.Changed) for p in paths
            ]
        )
    )


async def test_the_model_follows_close_and_the_disk(
    client: LanguageClient, workspace: Path
) -> None:
    _default_settings(client)
    provider_path = workspace / "app" / "provider.py"
    provider_path.write_text(PROVIDER)
    (workspace / "app" / "user.py").write_text(USER)
    _watched(client, provider_path, workspace / "app" / "user.py")
    user = Editor(client, workspace / "app" / "user.py", USER)
    assert "NWS105" not in str(_codes(await user.open()))
    # the provider's unsaved text makes get_manager a singleton getter: the open
    # user of it is checked again with it
    provider = Editor(client, provider_path, PROVIDER)
    await provider.open()
    seen = len(client.published)  # type: ignore[attr-defined]
    await provider.change([types.TextDocumentContentChangeWholeDocument(text=SINGLETON)])
    await user.until(lambda d: "NWS105" in str(_codes(d)), seen)
    # closed without saving: its unsaved text leaves the model
    seen = len(client.published)  # type: ignore[attr-defined]
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(provider.uri))
    )
    await user.until(lambda d: "NWS105" not in str(_codes(d)), seen)
    # saved by another program: the model reads it from disk
    provider_path.write_text(SINGLETON)
    seen = len(client.published)  # type: ignore[attr-defined]
    _watched(client, provider_path)
    await user.until(lambda d: "NWS105" in str(_codes(d)), seen)
    assert any(  # the server asked the client to watch Python files
        r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for r in client.registrations  # type: ignore[attr-defined]
    )


async def test_fix_all_imports_a_factory_from_another_module(
    client: LanguageClient, workspace: Path
) -> None:
    _default_settings(client)
    app = workspace / "app"
    (app / "wsmanager.py").write_text(
        "_m = None\n\n\ndef get_websocket_manager():\n    return _m\n"
    )
    (app / "wsfactory.py").write_text(
        "def create_websocket_manager(user_context):\n    return user_context\n"
    )
    _watched(client, app / "wsmanager.py", app / "wsfactory.py")
    text = (
        "from .wsmanager import get_websocket_manager\n\n\n"
        "async def handle(user_context):\n    return get_websocket_manager()\n"
    )
    editor = Editor(client, app / "wshandlers.py", text)
    assert _codes(await editor.open()) == [(5, "NWS101")]
    (fix_all,) = await editor.actions(0, only=[types.CodeActionKind.SourceFixAll])
    await editor.apply(fix_all)
    assert editor.doc.source == (
        "from .wsfactory import create_websocket_manager\n\n\n"
        "async def handle(user_context):\n    return create_websocket_manager(user_context)\n"
    )


async def test_without_a_file_watcher_the_disk_is_looked_at_after_an_edit(
    plain_client: LanguageClient, plain_root: Path
) -> None:
    root, lsp_client = plain_root, plain_client
    user = Editor(lsp_client, root / "app" / "user.py", USER)
    assert "NWS105" not in str(_codes(await user.open()))
    (root / "app" / "provider.py").write_text(SINGLETON)  # saved by another program
    os.utime(root / "app" / "provider.py", ns=(1, 1))  # a time surely not seen before
    log: list[types.PublishDiagnosticsParams] = lsp_client.published  # type: ignore[attr-defined]
    seen = len(log)
    await user.change([types.TextDocumentContentChangeWholeDocument(text=USER + "\n")])

    async def republished() -> None:
        while not any(
            p.uri == user.uri and "NWS105" in str(_codes(list(p.diagnostics))) for p in log[seen:]
        ):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(republished(), 10)
