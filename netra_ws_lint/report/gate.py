"""What a change introduced (``check --diff-base REV``, with or without ``--baseline``).

A finding is new in a change when its file changed since REV and the file as it was at
REV, checked with the same settings, has no finding to pair it with (see
:func:`netra_ws_lint.report.baseline.match`: findings on unchanged lines pair first).
So a duplicated line is reported where it was added, and a finding whose flagged
statement did not change but whose meaning did (a new decorator, a ``with`` line that
now covers an old call) is reported although its own line is untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from netra_ws_lint.config import Settings
from netra_ws_lint.engine.pipeline import DecodeError, check_source, decode_source
from netra_ws_lint.model import Finding
from netra_ws_lint.report.baseline import Entry, fingerprint_findings, match
from netra_ws_lint.report.gitdiff import Changes, file_at, is_changed
from netra_ws_lint.report.paths import root_relative


def changed_flags(changes: Changes, paths: Sequence[str], lines: Sequence[int]) -> list[bool]:
    """Whether each finding (its shown path and line) is on a line changed since REV."""
    return [
        is_changed(changes.lines, root_relative(p, changes.top), line)
        for p, line in zip(paths, lines)
    ]


def new_in_change(
    changes: Changes,
    paths: Sequence[str],
    entries: Sequence[Entry],
    flags: Sequence[bool],
    settings: dict[str, Settings],
    checker: Callable[[str, str, Settings], list[Finding]] | None = None,
) -> list[bool]:
    """For each current finding (shown path, baseline entry, on a changed line), whether
    the change since REV introduced it. ``settings``: the settings each checked file
    (by its baseline path) was checked with; a file missing there (it does not parse
    now) falls back to its changed lines. ``checker(text, shown path, settings)``: how
    the old text is checked (the run's, with the project; default: on its own)."""
    out = list(flags)
    by_file: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        by_file.setdefault(e.path, []).append(i)
    for rel, idx in by_file.items():
        top_rel = root_relative(paths[idx[0]], changes.top)
        if top_rel not in changes.lines:  # untouched since REV: nothing in it is new
            for i in idx:
                out[i] = False
            continue
        file_settings = settings.get(rel)
        if changes.lines[top_rel] is None or file_settings is None:
            continue  # untracked (all new), or not parsed now (its changed lines)
        old = file_at(changes, top_rel)
        if old is None:  # added since REV
            for i in idx:
                out[i] = True
            continue
        try:
            old_source = decode_source(old)
        except DecodeError:
            continue
        if checker is not None:
            before = checker(old_source, paths[idx[0]], file_settings)
        else:
            before = check_source(old_source, paths[idx[0]], file_settings)
        base = [
            Entry(rel, f.code, fp.scope, fp.fingerprint, context=fp.context, statement=fp.statement)
            for f, fp in zip(before, fingerprint_findings(old_source, rel, before))
        ]
        is_new, _ = match(base, [entries[i] for i in idx], [flags[i] for i in idx])
        for i, new in zip(idx, is_new):
            out[i] = new
    return out
