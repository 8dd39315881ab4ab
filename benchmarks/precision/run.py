"""Precision of the default rules on real code, against a labels file.

    python benchmarks/precision/run.py [--corpora DIR] [--labels FILE] [--only NAME]
        [--unlabelled-out FILE] [--summary-json FILE]

Each ``*.tar.gz`` in the corpora directory (default ``../shared/corpora`` beside the
repository or its parent directory, or ``$NWS_CORPORA``) is unpacked into a temporary
directory (never into the repository), and ``netra-ws-lint check --output-format
json`` runs over it with no configuration (default rules, no ``--audit``). The
repository's ``examples/`` are copied to a temporary directory and checked the same way.

Every finding is keyed without line numbers (see :func:`finding_key`) and joined with
``labels.json``: a list of ``{"corpus", "path", "code", "scope", "text",
"worth_acting", "why"}``. The report gives precision (labelled worth acting / labelled)
per rule and overall for each corpus and for all corpora together (``examples`` is
reported on its own line and left out of the totals), lists the findings not yet
labelled and the labels that no longer match a finding.

``--backend PATH`` adds a private tree (the seed's own backend: the folder holding
``netra_backend/app``), checked in place as corpus ``backend``. Its code may not be copied
here, so its labels (``labels-backend*.json``) keep a digest of the finding line
(``sha1:`` + 12 hex digits of the white-space-collapsed text) instead of the text. A
label may name the ``defect`` it belongs to (several findings, one defect: the report
counts distinct defects too) and the ``kind`` of a false positive.

``--realfixes DIR`` (default ``../shared/realfixes`` beside the repository, as for the
corpora, or ``$NWS_REALFIXES``) measures recall on real fixed defects: ``cases.jsonl``
labels a defect line (positive, with ``alt_lines`` also accepted) or the line that
replaced it in the fix (a control) in a tree of ``snapshots.tar.gz``
(``OUT/<owner+repo>/<commit>/``). Each labelled tree is checked from its root with the
default rules; a positive is found when any default finding is on its line or one of its
``alt_lines`` in its file, a control is flagged when any default finding is on its line.
``--no-realfixes`` skips it; ``--only realfixes`` runs it alone.

Exit status: 0 every finding is labelled, 1 some are not, 2 no corpora were found.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LABELS = HERE / "labels.json"
EXAMPLES = "examples"
# A private tree (``--backend PATH``): its licence keeps its code out of this repository,
# so its labels key a finding by a digest of the line's text, never the text itself.
BACKEND = "backend"
BACKEND_LABELS = "labels-backend*.json"
REALFIXES = "realfixes"


def default_corpora() -> Path:
    """``$NWS_CORPORA``, else ``../shared/corpora`` beside the repository (or beside
    the directory holding it, for a worktree one level deeper)."""
    env = os.environ.get("NWS_CORPORA")
    if env:
        return Path(env)
    candidates = [REPO.parent / "shared" / "corpora", REPO.parent.parent / "shared" / "corpora"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def default_realfixes() -> Path:
    """``$NWS_REALFIXES``, else ``../shared/realfixes`` found as the corpora are."""
    env = os.environ.get("NWS_REALFIXES")
    if env:
        return Path(env)
    candidates = [REPO.parent / "shared" / REALFIXES, REPO.parent.parent / "shared" / REALFIXES]
    return next((c for c in candidates if c.is_dir()), candidates[0])


# ----------------------------------------------------------------------- unpacking
def _safe_members(tar: tarfile.TarFile, dest: Path) -> list[tarfile.TarInfo]:
    """Regular files and directories that stay inside ``dest`` (no links, devices or
    ``..``)."""
    out = []
    root = dest.resolve()
    for m in tar.getmembers():
        if not (m.isfile() or m.isdir()):
            continue
        target = (dest / m.name).resolve()
        if root != target and root not in target.parents:
            continue
        out.append(m)
    return out


def unpack(archive: Path, dest: Path) -> Path:
    """Unpack ``archive`` into ``dest``; the folder it made (or ``dest``)."""
    with tarfile.open(archive) as tar:
        tar.extractall(dest, members=_safe_members(tar, dest))  # members filtered above
    entries = [p for p in dest.iterdir()]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else dest


# ----------------------------------------------------------------------- running
def run_lint(root: Path) -> list[dict[str, Any]]:
    """The default findings of ``check`` on ``root``, run from ``root`` (no config)."""
    cmd = [
        sys.executable,
        "-m",
        "netra_ws_lint",
        "check",
        "--exit-zero",
        "--no-cache",
        "--output-format",
        "json",
        ".",
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"netra-ws-lint failed on {root}:\n{proc.stderr}")
    findings: list[dict[str, Any]] = json.loads(proc.stdout or "[]")
    return findings


# ----------------------------------------------------------------------- realfixes
def load_cases(folder: Path) -> list[dict[str, Any]]:
    cases = []
    for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            cases.append(json.loads(line))
    return cases


def case_tree(out: Path, case: dict[str, Any]) -> Path:
    """The labelled tree of ``case`` under the unpacked ``OUT`` folder."""
    return out / case["repo"].replace("/", "+") / case["commit"]


def judge_cases(
    cases: list[dict[str, Any]], findings: dict[Path, list[dict[str, Any]]], out: Path
) -> list[dict[str, Any]]:
    """Per case: ``hit`` (a positive found / a control flagged) and the findings on its
    lines (code, line, message)."""
    rows = []
    for case in cases:
        tree = case_tree(out, case)
        lines = (
            {case["line"], *(case.get("alt_lines") or [])} if case["positive"] else {case["line"]}
        )
        path = case["path"].replace("\\", "/")
        on = [
            {"code": f["code"], "line": f["line"], "message": f["message"]}
            for f in findings.get(tree, [])
            if f["filename"].replace("\\", "/") == path and f["line"] in lines
        ]
        rows.append(
            {
                "id": case["id"],
                "positive": bool(case["positive"]),
                "category": case.get("category", ""),
                "path": path,
                "line": case["line"],
                "hit": bool(on),
                "findings": on,
            }
        )
    return rows


def run_realfixes(folder: Path, tmp: Path) -> list[dict[str, Any]]:
    """Unpack the snapshots, check each labelled tree once, judge every case."""
    cases = load_cases(folder)
    dest = tmp / REALFIXES
    dest.mkdir()
    with tarfile.open(folder / "snapshots.tar.gz") as tar:
        tar.extractall(dest, members=_safe_members(tar, dest))  # members filtered above
    out = dest / "OUT"
    findings: dict[Path, list[dict[str, Any]]] = {}
    for case in cases:
        tree = case_tree(out, case)
        if tree not in findings:
            findings[tree] = run_lint(tree) if tree.is_dir() else []
    return judge_cases(cases, findings, out)


def realfixes_totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    pos = [r for r in rows if r["positive"]]
    neg = [r for r in rows if not r["positive"]]
    return {
        "found": sum(r["hit"] for r in pos),
        "positives": len(pos),
        "controls_flagged": sum(r["hit"] for r in neg),
        "controls": len(neg),
    }


def print_realfixes(rows: list[dict[str, Any]], out: Any = sys.stdout) -> None:
    out.write("\nrealfixes (default rules)\n")
    for r in rows:
        kind = "positive" if r["positive"] else "control "
        if r["positive"]:
            state = "found" if r["hit"] else "MISSED"
        else:
            state = "FLAGGED" if r["hit"] else "quiet"
        out.write(f"  {r['id']} {kind} {state:<7} {r['category']:<22} {r['path']}:{r['line']}\n")
        for f in r["findings"]:
            out.write(f"      {f['code']} line {f['line']}: {f['message']}\n")
    t = realfixes_totals(rows)
    out.write(
        f"  found {t['found']}/{t['positives']}, "
        f"controls flagged {t['controls_flagged']}/{t['controls']}\n"
    )


# ----------------------------------------------------------------------- keys
class SourceFile:
    """A checked file's lines and the qualified name of the def/class around a line."""

    def __init__(self, path: Path) -> None:
        try:
            self.text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            self.text = ""
        self.lines = self.text.splitlines()
        self.spans: list[tuple[int, int, str]] = []
        try:
            tree = ast.parse(self.text)
        except (SyntaxError, ValueError, RecursionError):
            return
        self._collect(tree, "")

    def _collect(self, node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qual = f"{prefix}.{child.name}" if prefix else child.name
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                self.spans.append((start, child.end_lineno or child.lineno, qual))
                self._collect(child, qual)
            else:
                self._collect(child, prefix)

    def scope(self, line: int) -> str:
        """The innermost def/class whose lines hold ``line`` (``<module>``: none).
        A finding on a ``def``/``class`` line belongs to that definition."""
        best = "<module>"
        best_len = None
        for start, end, qual in self.spans:
            if start <= line <= end and (best_len is None or end - start <= best_len):
                best, best_len = qual, end - start
        return best

    def statement(self, line: int) -> str:
        if 1 <= line <= len(self.lines):
            return " ".join(self.lines[line - 1].split())
        return ""

    def occurrence(self, line: int) -> int:
        """1 + how many earlier lines of the same def/class read the same as ``line``:
        a repeated line keeps its key whether or not its twins are reported."""
        text, scope = self.statement(line), self.scope(line)
        return 1 + sum(
            1
            for n in range(1, line)
            if self.statement(n) == text and self.scope(n) == scope
        )


def line_digest(text: str) -> str:
    """What a label of a private tree keeps of a line: ``sha1:`` and 12 hex digits of
    its white-space-collapsed text."""
    return "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def finding_key(corpus: str, f: dict[str, Any], text: str, scope: str) -> str:
    return "|".join((corpus, f["filename"], f["code"], scope, text))


def label_key(label: dict[str, Any]) -> str:
    return "|".join((label["corpus"], label["path"], label["code"], label["scope"], label["text"]))


def keyed_findings(corpus: str, root: Path, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings with ``key``, ``scope`` and ``text``; the second, third... line of
    a def/class that reads the same gets ``#2``, ``#3``... (counted over the source,
    not over the findings), and so does a second finding of one code on one line."""
    files: dict[str, SourceFile] = {}
    seen: Counter[str] = Counter()
    out = []
    for f in sorted(findings, key=lambda f: (f["filename"], f["line"], f["column"], f["code"])):
        src = files.get(f["filename"])
        if src is None:
            src = files[f["filename"]] = SourceFile(root / f["filename"])
        scope, text = src.scope(f["line"]), src.statement(f["line"])
        if corpus == BACKEND:
            text = line_digest(text)
        n = src.occurrence(f["line"])
        if n > 1:
            text = f"{text} #{n}"
        key = finding_key(corpus, f, text, scope)
        seen[key] += 1
        if seen[key] > 1:
            text = f"{text} #{seen[key]}"
            key = finding_key(corpus, f, text, scope)
        out.append(dict(f, corpus=corpus, scope=scope, text=text, key=key))
    return out


# ----------------------------------------------------------------------- report
def precision(worth: int, labelled: int) -> float | None:
    return worth / labelled if labelled else None


def fmt_pct(p: float | None) -> str:
    return "  -  " if p is None else f"{100 * p:5.1f}%"


def summarise(rows: list[dict[str, Any]], labels: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Counts per corpus and rule: findings, labelled, worth acting."""
    table: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for r in rows:
        label = labels.get(r["key"])
        apart = r["corpus"] in (EXAMPLES, BACKEND)  # reported on their own, not in ALL
        for corpus in (r["corpus"],) if apart else (r["corpus"], "ALL"):
            for rule in (r["code"], "overall"):
                c = table[corpus][rule]
                c["findings"] += 1
                if label is not None:
                    c["labelled"] += 1
                    c["worth"] += bool(label["worth_acting"])
    return {corpus: {rule: dict(c) for rule, c in rules.items()} for corpus, rules in table.items()}


def print_report(summary: dict[str, Any], out: Any = sys.stdout) -> None:
    order = [
        *sorted(k for k in summary if k not in ("ALL", EXAMPLES, BACKEND)),
        *(k for k in ("ALL", EXAMPLES, BACKEND) if k in summary),
    ]
    for corpus in order:
        rules = summary[corpus]
        title = "all corpora" if corpus == "ALL" else corpus
        out.write(f"\n{title}\n")
        out.write("  rule      findings  labelled  worth  precision\n")
        for rule in [*sorted(k for k in rules if k != "overall"), "overall"]:
            c = rules[rule]
            p = precision(c.get("worth", 0), c.get("labelled", 0))
            out.write(
                f"  {rule:<8} {c.get('findings', 0):>9} {c.get('labelled', 0):>9} "
                f"{c.get('worth', 0):>6}  {fmt_pct(p)}\n"
            )


def load_labels(*paths: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        if path.exists():
            out.update((label_key(label), label) for label in json.loads(path.read_text("utf-8")))
    return out


def distinct_defects(rows: list[dict[str, Any]], labels: dict[str, dict[str, Any]]) -> Counter[str]:
    """Per corpus, how many distinct defects its worth-acting findings are (a label's
    ``defect`` names the one defect several findings may share; without one, each
    finding is its own)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        label = labels.get(r["key"])
        if label and label["worth_acting"]:
            seen[r["corpus"]].add(label.get("defect") or r["key"])
    return Counter({corpus: len(defects) for corpus, defects in seen.items()})


def skeleton(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "corpus": r["corpus"],
        "path": r["filename"],
        "code": r["code"],
        "scope": r["scope"],
        "text": r["text"],
        "line": r["line"],
        # a private tree's labels keep no text of its code (its messages quote its names)
        **({} if r["corpus"] == BACKEND else {"message": r["message"]}),
        "worth_acting": None,
        "kind": "",
        "defect": "",
        "why": "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=default_corpora())
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument(
        "--backend",
        type=Path,
        help=f"also check this private tree as corpus {BACKEND!r} (labels: {BACKEND_LABELS})",
    )
    parser.add_argument(
        "--backend-labels",
        type=Path,
        action="append",
        default=[],
        help="labels of another commit of the backend, over the default ones (repeatable;"
        " one commit's judgement of the same line can differ from another's)",
    )
    parser.add_argument(
        "--realfixes",
        type=Path,
        default=default_realfixes(),
        help="folder with cases.jsonl and snapshots.tar.gz (recall on real fixed defects)",
    )
    parser.add_argument("--no-realfixes", action="store_true", help="skip the realfixes cases")
    parser.add_argument("--only", action="append", help="only this corpus (repeatable)")
    parser.add_argument("--no-examples", action="store_true", help="skip examples/")
    parser.add_argument("--unlabelled-out", type=Path, help="write unlabelled findings here")
    parser.add_argument("--summary-json", type=Path, help="write the counts here")
    parser.add_argument("--findings-out", type=Path, help="write every keyed finding here")
    args = parser.parse_args(argv)

    archives = sorted(args.corpora.glob("*.tar.gz")) if args.corpora.is_dir() else []
    if args.only:
        archives = [a for a in archives if any(a.name.startswith(o) for o in args.only)]
    realfixes = None
    wanted = not args.no_realfixes and (not args.only or REALFIXES in args.only)
    if wanted and (args.realfixes / "cases.jsonl").is_file():
        realfixes = args.realfixes
    backend = args.backend if args.backend and (not args.only or BACKEND in args.only) else None
    if backend is not None and not backend.is_dir():
        print(f"--backend {backend}: not a directory", file=sys.stderr)
        return 2
    if not archives and backend is None and realfixes is None:
        print(f"no corpora (*.tar.gz) in {args.corpora}", file=sys.stderr)
        return 2
    labels = load_labels(args.labels, *sorted(HERE.glob(BACKEND_LABELS)), *args.backend_labels)
    rows: list[dict[str, Any]] = []
    if backend is not None:
        rows += keyed_findings(BACKEND, backend, run_lint(backend))
    with tempfile.TemporaryDirectory(prefix="nws-precision-") as tmp:
        for archive in archives:
            name = archive.name[: -len(".tar.gz")].rsplit("-", 1)[0]
            dest = Path(tmp) / name
            dest.mkdir()
            root = unpack(archive, dest)
            rows += keyed_findings(name, root, run_lint(root))
        if not args.no_examples and (REPO / EXAMPLES).is_dir() and not args.only:
            root = Path(tmp) / EXAMPLES
            shutil.copytree(REPO / EXAMPLES, root)
            rows += keyed_findings(EXAMPLES, root, run_lint(root))
        cases = run_realfixes(realfixes, Path(tmp)) if realfixes is not None else []

    summary = summarise(rows, labels)
    print_report(summary)
    if cases:
        print_realfixes(cases)
    defects = distinct_defects(rows, labels)
    if defects:
        counts = ", ".join(f"{corpus} {n}" for corpus, n in sorted(defects.items()))
        print(f"\ndistinct defects worth acting on: {counts}")
    unlabelled = [r for r in rows if r["key"] not in labels]
    keys = {r["key"] for r in rows}
    corpora = {r["corpus"] for r in rows} | {a.name.rsplit("-", 1)[0] for a in archives}
    if backend is not None:
        corpora.add(BACKEND)
    stale = [k for k, v in labels.items() if k not in keys and v["corpus"] in corpora]
    not_worth = [r for r in rows if labels.get(r["key"], {}).get("worth_acting") is False]
    if not_worth:
        print(f"\nfalse positives ({len(not_worth)}):")
        for r in not_worth:
            why = labels[r["key"]]["why"]
            print(f"  {r['corpus']}/{r['filename']}:{r['line']}: {r['code']} ({why})")
    if stale:
        print(f"\nlabels matching no finding ({len(stale)}):")
        for k in stale:
            print(f"  {k}")
    if unlabelled:
        print(f"\nunlabelled findings ({len(unlabelled)}):")
        for r in unlabelled:
            print(f"  {r['corpus']}/{r['filename']}:{r['line']}: {r['code']} {r['message']}")
            print(f"      [{r['scope']}] {r['text']}")
    if args.unlabelled_out:
        args.unlabelled_out.write_text(
            json.dumps([skeleton(r) for r in unlabelled], indent=2) + "\n", encoding="utf-8"
        )
    if args.findings_out:
        args.findings_out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    if args.summary_json:
        summary_out = {
            "counts": summary,
            "defects": dict(defects),
            "unlabelled": len(unlabelled),
            "stale": len(stale),
        }
        if cases:
            summary_out["realfixes"] = {**realfixes_totals(cases), "cases": cases}
        args.summary_json.write_text(json.dumps(summary_out, indent=2) + "\n", encoding="utf-8")
    return 1 if unlabelled else 0


if __name__ == "__main__":
    raise SystemExit(main())
