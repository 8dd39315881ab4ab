"""One sentinel session: lint, wrap, watch, report."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from netra_ws_lint.sentinel import identity
from netra_ws_lint.sentinel.targets import NOT_WATCHABLE, Project, Watcher, lint_project
from netra_ws_lint.sentinel.wrappers import RECORDER, FindingRef, Leak


class Sentinel:
    def __init__(self, mode: str, paths: list[str], report: Path | None) -> None:
        self.mode = mode
        self.paths = paths
        self.report_file = report
        self.watcher: Watcher | None = None
        self.error: str | None = None
        self.result: dict[str, Any] = {}
        self.timings = {"lint_s": 0.0, "wrap_s": 0.0}  # what the sentinel itself costs

    @property
    def failed(self) -> bool:
        return self.mode != "warn" and bool(self.result.get("leaks"))

    def start(self) -> None:
        try:
            self._start()
        except Exception as exc:  # the lint itself failed: the tests still run
            self.error = f"the sentinel could not start: {type(exc).__name__}: {exc}"
            self.watcher = None

    def _start(self) -> None:
        from netra_ws_lint.config import ConfigError

        started = time.perf_counter()
        try:
            project = lint_project(self.paths)
        except ConfigError as exc:
            self.error = str(exc)
            project = Project([], frozenset(), (), None)
        identity.set_identity_getter(project.identity)
        identity.propagate_to_threads()
        self.watcher = Watcher(project)
        self.timings["lint_s"] += time.perf_counter() - started

    def wrap(self) -> None:
        """Wrap what the modules imported so far hold; never an error for the session
        (the sentinel is an observer: a failure of its own is reported, not raised)."""
        if self.watcher is not None:
            started = time.perf_counter()
            try:
                self.watcher.wrap_loaded()
            except Exception as exc:
                self._internal(exc)
            self.timings["wrap_s"] += time.perf_counter() - started

    def _internal(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = f"the sentinel stopped watching: {type(exc).__name__}: {exc}"
            self.watcher = self.watcher if self.watcher is None else _stopped(self.watcher)

    def stop(self) -> None:
        identity.stop_propagating()
        identity.set_identity_getter(None)

    def finish(self) -> None:
        w = self.watcher
        if w is None:
            return
        leaks = list(RECORDER.leaks.values())
        targets = w.all_targets()
        leaked = {f for leak in leaks for f in leak.target.findings}
        exercised, never = [], []
        for f in w.findings:
            if f in leaked:
                continue
            with_f = [t for t in targets if f in t.findings]
            if any(t.exercised for t in with_f):
                exercised.append(_finding_json(f, with_f[0].name))
            else:
                entry = _finding_json(f, with_f[0].name if with_f else None)
                why = next((t.not_watched for t in with_f if t.not_watched), None)
                entry["reason"] = (
                    w.unresolved.get(f)
                    or (f"not watched, because {why}" if why else None)
                    or ("its object was never used by a user" if with_f else None)
                    or w.not_imported(f)
                )
                never.append(entry)
        self.result = {
            "version": 1,
            "mode": self.mode,
            "error": self.error,
            "leaks": [leak.as_json() for leak in sorted(leaks, key=_leak_order)],
            "exercised_without_leak": exercised,
            "never_exercised": never,
            "not_watchable": [
                {**_finding_json(f, None), "reason": NOT_WATCHABLE[f.code]} for f in w.not_watchable
            ],
            "watched": sorted({t.name for t in targets if t.findings}),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }
        if identity._getter_failed:
            self.result["identity_getter_error"] = identity._getter_failed[0]
        if self.report_file is not None:
            self.report_file.parent.mkdir(parents=True, exist_ok=True)
            self.report_file.write_text(json.dumps(self.result, indent=2) + "\n", encoding="utf-8")

    def summary(self, tr: Any) -> None:
        r = self.result
        if not r:
            return
        tr.write_sep("=", "netra-ws-lint sentinel")
        if r["error"]:
            tr.write_line(f"configuration error: {r['error']}", red=True)
        leaks = r["leaks"]
        verdict = "" if not leaks else (" (run failed)" if self.mode != "warn" else " (warn only)")
        tr.write_line(f"confirmed leaks: {len(leaks)}{verdict}", red=bool(leaks), bold=True)
        for leak in leaks:
            tr.write_line(f"  LEAK {leak['object']} ({leak['what']})")
            first, then = (
                ("used", "then by") if leak["kind"] == "instance" else ("written", "read by")
            )
            tr.write_line(
                f"    {first} by {leak['writer']['user']!r} at {leak['writer']['location']}, "
                f"{then} {leak['reader']['user']!r} at {leak['reader']['location']}"
            )
            tr.write_line(f"    predicted by: {_predicted(leak['predicted'])}")
        tr.write_line(f"findings exercised with no leak: {len(r['exercised_without_leak'])}")
        for f in r["exercised_without_leak"]:
            tr.write_line(f"  {f['code']} {f['location']} ({f['object']})")
        tr.write_line(f"findings never exercised: {len(r['never_exercised'])}")
        for f in r["never_exercised"]:
            tr.write_line(f"  {f['code']} {f['location']}: {f['reason']}")
        if r["not_watchable"]:
            tr.write_line(f"findings not watchable at run time: {len(r['not_watchable'])}")
            for f in r["not_watchable"]:
                tr.write_line(f"  {f['code']} {f['location']}: {f['reason']}")
        if self.report_file is not None:
            tr.write_line(f"JSON report: {self.report_file}")


def _predicted(predicted: Any) -> str:
    if isinstance(predicted, str):
        return predicted
    return ", ".join(f"{p['code']} {p['location']}" for p in predicted)


def _finding_json(f: FindingRef, name: str | None) -> dict[str, Any]:
    return {
        "code": f.code,
        "location": f.where,
        "message": f.message,
        "object": name,
    }


def _leak_order(leak: Leak) -> tuple[str, str, str]:
    return (leak.target.name, leak.writer[1], leak.reader[1])


def _stopped(watcher: Watcher) -> Watcher:
    """``watcher`` with nothing left to wrap (what is wrapped stays watched)."""
    watcher._pending = []
    watcher._modules_seen = -2  # never equal to len(sys.modules): wrap_loaded is a no-op
    watcher.wrap_loaded = lambda: None  # type: ignore[method-assign]
    return watcher
