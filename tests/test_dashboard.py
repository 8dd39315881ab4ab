"""``migrate --html``: the dashboard is one self-contained file whose numbers are the
JSON report's; ``--history N`` reads the last N commits from git objects (nothing is
checked out) and caches each; a slow test renders the file in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from netra_ws_lint.cli.main import main
from netra_ws_lint.fix import migrate

EXAMPLES = Path(__file__).parent.parent / "examples"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def git(cwd: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@e",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@e",
    )
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with three commits: the legacy service, then two fixes."""
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    shutil.copytree(EXAMPLES / "legacy_service", tmp_path / "svc")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "legacy")
    handlers = tmp_path / "svc" / "handlers.py"
    text = handlers.read_text(encoding="utf-8")
    handlers.write_text(
        text.replace("ws.get_websocket_manager()", "ws.create_websocket_manager(user_context)"),
        encoding="utf-8",
    )
    git(tmp_path, "commit", "-qam", "handlers use the factory")
    ctx = tmp_path / "svc" / "context.py"
    ctx.write_text(ctx.read_text(encoding="utf-8").split("# A context for")[0], encoding="utf-8")
    git(tmp_path, "commit", "-qam", "no import-time context")
    return tmp_path


class Dom(HTMLParser):
    """The elements with an id, and every element's attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, dict[str, str | None]] = {}
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if a.get("id"):
            self.ids[str(a["id"])] = a
            self._open.append(str(a["id"]))
        else:
            self._open.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1]:
            self.text[self._open[-1]] = self.text.get(self._open[-1], "") + data


def parse(html: str) -> Dom:
    dom = Dom()
    dom.feed(html)
    return dom


def check_dom(dom: Dom, report: dict[str, Any], points: int) -> None:
    """The rendered page: charts present, numbers equal to the JSON report's."""
    s = report["summary"]
    for key in ("sites", "automatic", "manual", "files_with_work"):
        assert int(dom.text[f"count-{key}"]) == s[key], key
    for chart in ("chart-packages", "chart-rules", "chart-split"):
        assert chart in dom.ids, chart
    rows = [a for tag, a in dom.elements if tag == "g" and a.get("class") == "row"]
    packages = {
        str(a["data-label"]): int(str(a["data-value"])) for a in rows[: len(report["packages"])]
    }
    assert packages == {p["package"]: p["sites"] for p in report["packages"]}
    assert int(str(dom.ids["chart-rules"]["data-total"])) == s["sites"]
    rules = {
        str(a["data-label"]): int(str(a["data-value"]))
        for a in rows[len(report["packages"]) : len(report["packages"]) + len(s["by_rule"])]
    }
    assert rules == s["by_rule"]
    if points:
        assert int(str(dom.ids["chart-burndown"]["data-points"])) == points
    links = [
        str(a["href"]) for tag, a in dom.elements if tag == "a" and a.get("class") == "rule-link"
    ]
    assert len(links) == s["sites"]
    assert all(link[1:] in dom.ids for link in links)  # each site links to its rule doc


def test_dashboard_is_self_contained_and_matches_the_report(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "svc", "--html", "dash.html", "--report-dir", "rep"]) == 0
    capsys.readouterr()
    html = (repo / "dash.html").read_text(encoding="utf-8")
    report = json.loads((repo / "rep" / "migration-report.json").read_text(encoding="utf-8"))
    # nothing to fetch: no URL, no external src/href
    assert not re.search(r"(?i)\b(?:https?:|//[a-z])", html)
    assert not re.search(r'(?i)\b(?:src|href)="(?!#)', html)
    check_dom(parse(html), report, 0)
    assert 'id="chart-burndown-empty"' in html
    assert 'class="sortable"' in html and "<script>" in html


def test_history_reads_git_objects_and_caches_each_commit(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # an uncommitted change must not count: history comes from the commits
    (repo / "svc" / "agent_service.py").write_text("", encoding="utf-8")
    assert main(["migrate", "svc", "--html", "dash.html", "--history", "5"]) == 0
    capsys.readouterr()
    html = (repo / "dash.html").read_text(encoding="utf-8")
    dom = parse(html)
    points = [a for tag, a in dom.elements if tag == "circle" and a.get("class") == "point"]
    sites = [int(str(a["data-value"])) for a in points]
    assert len(sites) == 3  # only three commits exist
    # the handlers' two accessor calls, then the import-time context, are gone
    assert sites[0] - sites[1] == 2 and sites[1] - sites[2] == 1
    revs = git(repo, "rev-list", "--reverse", "HEAD").split()
    assert [a["data-commit"] for a in points] == revs
    # nothing checked out, the cache is ignored: only our edit and the dashboard show
    assert git(repo, "status", "--porcelain").splitlines() == [
        " M svc/agent_service.py",
        "?? dash.html",
    ]

    # a second run takes every commit's counts from the cache
    def boom(*_: Any) -> None:
        raise AssertionError("counted again")

    monkeypatch.setattr(migrate, "count_sources", boom)
    assert main(["migrate", "svc", "--html", "dash2.html", "--history", "3"]) == 0
    capsys.readouterr()
    points2 = [
        a
        for tag, a in parse((repo / "dash2.html").read_text(encoding="utf-8")).elements
        if tag == "circle"
    ]
    assert [int(str(a["data-value"])) for a in points2] == sites


def test_history_without_git_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    shutil.copytree(EXAMPLES / "legacy_service", tmp_path / "svc")
    assert main(["migrate", "svc", "--html", "d.html", "--history", "2"]) == 0
    assert "no git history" in capsys.readouterr().err
    assert (tmp_path / "d.html").is_file()


def test_history_needs_html(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "svc", "--history", "2"]) == 2
    assert "--history" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_dashboard_in_headless_chromium(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["migrate", "svc", "--html", "dash.html", "--history", "3", "--report-dir", "rep"])
        == 0
    )
    capsys.readouterr()
    report = json.loads((repo / "rep" / "migration-report.json").read_text(encoding="utf-8"))
    url = (repo / "dash.html").as_uri()
    assert CHROMIUM is not None

    def chromium(*args: str) -> subprocess.CompletedProcess[str]:
        profile = tmp_path / f"profile-{len(args)}"
        return subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=120,
        )

    dumped = chromium("--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = parse(dumped.stdout)  # the DOM after the page's script ran
    check_dom(dom, report, 3)
    headers = [a for tag, a in dom.elements if tag == "th"]
    assert headers and all(a.get("aria-sort") == "none" for a in headers)  # the script ran
    shot_dir = Path(os.environ.get("NETRA_WS_LINT_SCREENSHOTS", tmp_path))
    shot_dir.mkdir(parents=True, exist_ok=True)
    shot = shot_dir / "migration-dashboard.png"
    taken = chromium(f"--screenshot={shot}", "--window-size=1300,2000")
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_rule_docs_are_rendered_markdown_and_repository_text_is_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule docs read as documents (headings, code, code blocks), not raw Markdown;
    a file name from the repository cannot inject markup, and bidi controls show."""
    from netra_ws_lint.report import dashboard

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    name = '<img src=x onerror="alert(1)">\u202e.py'
    (tmp_path / name).write_text(
        "from app.ws import get_websocket_manager\n\n"
        "async def handle(user_id):\n    return get_websocket_manager()\n"
    )
    assert main(["migrate", "--html", "out.html", "."]) in (0, 1)
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert "<img" not in page and "\u202e" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;U+202E&gt;.py" in page
    docs = re.search(r'<section class="rule-doc" id="rule-NWS101">(.*?)</section>', page, re.S)
    assert docs is not None
    doc = docs.group(1)
    assert "`" not in doc and "## " not in doc and "```" not in doc
    assert "<h4>What it does</h4>" in doc
    assert "<code>get_websocket_manager()</code>" in doc
    assert ('<pre><code class="language-python">async def run_agent(user_context: '
            "UserExecutionContext) -&gt; None:\n    manager = get_websocket_manager()\n") in doc
    # chart labels: at the narrowest column the charts are drawn at, 12 px or more
    font = int(re.search(r"svg text\{font-size:(\d+)px", page).group(1))  # type: ignore[union-attr]
    column = int(re.search(r"minmax\((\d+)px", page).group(1))  # type: ignore[union-attr]
    assert font * column / dashboard.WIDTH >= 12
    # a long label keeps its end and shows the whole on hover
    assert dashboard._short("a/" * 40 + "handlers.py").endswith("handlers.py")
    assert len(dashboard._short("a/" * 40 + "handlers.py")) == dashboard.LABEL_CHARS


@pytest.mark.parametrize("where", ["svc", "."])
def test_newest_history_point_equals_the_headline(
    repo: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    # the burndown counts each commit as the headline counts the tree: the whole
    # project (cross-module findings included), the fixes applied to find what is left;
    # `.` at the repository's top is the whole tree (it matched no file)
    assert (
        main(["migrate", where, "--html", "dash.html", "--history", "3", "--report-dir", "r"])
        == 0
    )
    capsys.readouterr()
    report = json.loads((repo / "r" / "migration-report.json").read_text(encoding="utf-8"))
    points = [
        a
        for tag, a in parse((repo / "dash.html").read_text(encoding="utf-8")).elements
        if tag == "circle" and a.get("class") == "point"
    ]
    assert int(str(points[-1]["data-value"])) == report["summary"]["sites"]
    assert int(str(points[-1]["data-manual"])) == report["summary"]["manual"]


def test_damaged_history_cache_is_counted_again_with_a_warning(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "svc", "--html", "dash.html", "--history", "2"]) == 0
    capsys.readouterr()
    (cached,) = repo.glob(".netra-ws-lint-cache/**/history.json")
    data = json.loads(cached.read_text(encoding="utf-8"))
    for i, counts in enumerate(data.values()):
        if i == 0:
            del counts["manual"]
        else:
            counts["manual"] = "many"
    cached.write_text(json.dumps(data), encoding="utf-8")
    assert main(["migrate", "svc", "--html", "dash2.html", "--history", "2"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("the cached counts are not valid") == 2
    assert "chart-burndown" in (repo / "dash2.html").read_text(encoding="utf-8")
