"""NWS902: ``# noqa`` comments that suppress nothing of ours (ruff's RUF100 for NWS)."""

from __future__ import annotations

from netra_ws_lint.config import Settings
from netra_ws_lint.engine.noqa import NoqaComment, NoqaFilter
from netra_ws_lint.model import Edit, Finding, Fix
from netra_ws_lint.rules.base import Rule, all_rules, register
from netra_ws_lint.rules.fixes import SAFE, UNSAFE

CODE = "NWS902"


@register
class UnusedNoqa(Rule):
    """
    ## What it does
    Reports a `# noqa` comment that suppresses no finding of netra-ws-lint: an NWS
    code (or prefix) it lists that matches no finding on its line, or a blanket
    `# noqa` (no codes) on a line with no finding of ours. Codes of other tools
    (`E501`, `F401`) are never reported, nor NWS codes whose rules are not enabled
    for the file (they may be enabled elsewhere, for example under flake8).

    ## Why is this bad?
    A `# noqa: NWS101` left behind after the code was fixed would hide the next
    deprecated accessor call written on that line, without anyone deciding to.

    ## Example
    ```python
    manager = create_websocket_manager(user_context)  # noqa: NWS101
    ```

    ## Use instead
    ```python
    manager = create_websocket_manager(user_context)
    ```

    ## Fix
    Safe: the unused NWS codes are removed from the comment (the whole directive,
    and the blanks before it, when no code is left; another comment after it is
    kept). Unsafe for a blanket `# noqa`: it may be there for another tool.
    Audit rule, off by default: enable it with `--extend-select NWS902`. Only the
    standalone CLI reports it (flake8 applies `# noqa` itself). `# noqa: NWS902`
    on a line keeps its comment from being reported.
    """

    code = CODE
    name = "unused-noqa"
    message = "unused `# noqa` directive ({detail})"
    summary = "A `# noqa` comment suppresses no finding of netra-ws-lint (audit)."
    tool = True
    audit = True
    fixable = True
    INVALID = [
        '# options: {"extend-select": ["NWS902"]}\nx = 1  # noqa: NWS101  # expect: NWS902@8\n',
        '# options: {"extend-select": ["NWS902"]}\nimport os  # noqa  # expect: NWS902@12\n',
        (
            '# options: {"extend-select": ["NWS902"]}\n'
            "def f(user_context):\n"
            "    return get_websocket_manager()  # noqa: NWS101, NWS201  # expect: NWS902\n"
        ),
        '# options: {"extend-select": ["NWS902"]}\ny = 2  # noqa: E501, NWS1  # expect: NWS902\n',
        (
            '# options: {"extend-select": ["NWS902"]}\n'
            'z = "x" \\\n    "y"  # noqa: NWS999  # expect: NWS902\n'
        ),
    ]
    VALID = [
        (
            '# options: {"extend-select": ["NWS902"]}\n'
            "def f(user_context):\n"
            "    return get_websocket_manager()  # noqa: NWS101\n"
        ),
        '# options: {"extend-select": ["NWS902"]}\nimport os  # noqa: F401\n',
        '# options: {"extend-select": ["NWS902"]}\nx = 1  # noqa: NWS101, NWS902\n',
        (
            '# options: {"extend-select": ["NWS902"]}\n'
            "def f(user_context):\n"
            "    return get_websocket_manager()  # noqa\n"
        ),
        # NWS202 is an audit rule that is not enabled here: its noqa may serve another run
        '# options: {"extend-select": ["NWS902"]}\ncache = {}  # noqa: NWS202\n',
        "x = 1  # noqa: NWS101\n",  # the rule itself is off by default
    ]


def _enabled_under(prefix: str, settings: Settings) -> bool | None:
    """Whether a rule under ``prefix`` is enabled; None when no rule is under it."""
    codes = [(c, r) for c, r in all_rules().items() if c.startswith(prefix)]
    if not codes:
        return None
    return any(
        settings.is_enabled(c) and (not r.audit or settings.audit_enabled(c)) for c, r in codes
    )


def _unused_codes(c: NoqaComment, settings: Settings) -> list[str] | None:
    """The NWS codes of ``c`` that suppressed nothing (an empty list: none); None for a
    blanket comment that suppressed nothing of ours."""
    if c.codes is None:
        return None if not c.suppressed else []
    if any(CODE.startswith(code) for code in c.codes):
        return []  # a noqa comment naming NWS902 (or a prefix of it) is kept
    out = []
    for code in c.codes:
        if not code.upper().startswith("NWS") or _enabled_under(code, settings) is False:
            continue
        if not any(s == code or s.startswith(code) for s in c.suppressed):
            out.append(code)
    return out


def _char_to_byte(line: str, col: int) -> int:
    return len(line[:col].encode("utf-8"))


def unused_noqa_findings(noqa: NoqaFilter, settings: Settings) -> list[Finding]:
    """The NWS902 findings of a file whose findings ``noqa`` has filtered."""
    out = []
    for c in noqa.comments():
        unused = _unused_codes(c, settings)
        if unused == []:
            continue
        m = c.match
        before, after = c.comment[: m.start()], c.comment[m.end() :]
        kept = [code for code in c.codes or () if code not in (unused or ())]
        if kept:
            directive = m.group(0)[: m.start("codes") - m.start()]
            matched = m.group(0)
            blanks = matched[len(matched.rstrip()) :]
            new = f"{before}{directive}{', '.join(kept)}{blanks}{after}"
        else:
            new = (before.rstrip() + "  " + after.lstrip()).strip()
        text = noqa.lines[c.line - 1].rstrip("\n")
        start, end = c.col, c.col + len(c.comment)
        if not new:  # the whole comment goes, with the blanks before it
            start = len(text[:start].rstrip(" \t"))
        if unused is None:
            detail = "a blanket `# noqa` on a line with no netra-ws-lint finding"
            fix = Fix(UNSAFE, "remove the `# noqa` (it may serve another tool)")
        else:
            detail = f"unused: {', '.join(unused)}"
            fix = Fix(SAFE, f"remove {', '.join(unused)} from the `# noqa`")
        edit = Edit(
            c.line,
            _char_to_byte(text, start),
            c.line,
            _char_to_byte(text, end),
            new,
            start,
            end,
        )
        fix = Fix(fix.applicability, fix.message, (edit,))
        out.append(
            Finding(
                c.line,
                _char_to_byte(text, c.col),
                CODE,
                UnusedNoqa.message.format(detail=detail),
                True,
                fix,
            )
        )
    return out
