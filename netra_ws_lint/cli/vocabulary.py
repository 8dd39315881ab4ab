"""``netra-ws-lint show-vocabulary [PATH]``: the vocabulary inferred from a project
(user-scoped types, multi-tenant registries, context factories, singleton getters),
each with its reason."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from netra_ws_lint.config import ConfigError
from netra_ws_lint.report.escape import terminal

SECTIONS = (
    ("user-scoped-types", "user-scoped types"),
    (
        "multi-tenant-registries",
        "multi-tenant registries (process-wide by design, not user-scoped)",
    ),
    ("shared-factories", "shared factories (a new per-user object per call, not user-scoped)"),
    (
        "context-labels",
        "user-scoped types keeping their context as a label (a private instance built"
        " without it shares nothing: NWS301 audit)",
    ),
    ("context-factories", "context factories"),
    ("singleton-getters", "singleton getters of user-scoped objects"),
    ("other-singleton-getters", "other singleton getters (shared on purpose?)"),
)


def add_parser(sub: Any) -> None:
    show = sub.add_parser(
        "show-vocabulary", help="print the vocabulary inferred from the project, and why"
    )
    show.add_argument("path", nargs="?", default=".", metavar="PATH", help="default: .")
    show.add_argument("--output-format", choices=("text", "json"), default="text")
    show.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="use this pyproject.toml or setup.cfg instead of searching for one",
    )
    show.set_defaults(run=run)


def inferred(path: str, config: Path | None = None) -> dict[str, Any]:
    """The project vocabulary of the project holding ``path`` (see vocabulary.py),
    from the same project model a check builds (and its cache)."""
    from netra_ws_lint.analysis.vocabulary import ProjectVocabulary
    from netra_ws_lint.config import Settings
    from netra_ws_lint.engine.discovery import discover
    from netra_ws_lint.engine.runner import plan_run

    if config is not None and not config.is_file():
        raise ConfigError(f"{config}: no such configuration file")
    targets, _problems = discover([path], config_file=config)
    if not targets:
        return ProjectVocabulary({}, Settings()).as_dict()
    run, others = plan_run(targets, [path], None, config)
    run.check([(t.path, t.display, t.settings) for t in targets], others)
    projects = list(run.checker.projects.values())
    if not projects:
        return ProjectVocabulary({}, targets[0].settings).as_dict()
    return projects[0].vocabulary.as_dict()


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    data = inferred(args.path, args.config)
    if args.output_format == "json":
        json.dump(data, stdout, indent=2)
        stdout.write("\n")
        return 0
    for key, title in SECTIONS:
        entries = data[key]
        stdout.write(f"{title} ({len(entries)}):\n")
        for name, why in entries.items():
            if isinstance(why, dict):
                user = f"; {why['user']}" if why.get("user") else ""
                why = f"{why['reason']}{user}"
            stdout.write(f"  {terminal(name)}: {terminal(str(why))}\n")
    stdout.write(
        "\nConfiguration adds to these (user-scoped-types, context-factories) and removes "
        "from them (allowed-singletons).\n"
    )
    return 0
