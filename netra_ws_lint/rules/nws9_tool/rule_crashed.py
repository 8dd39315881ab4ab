"""NWS901 rule-crashed."""

from __future__ import annotations

from netra_ws_lint.rules.base import Rule, register


@register
class RuleCrashed(Rule):
    """
    ## What it does
    Reports that a rule raised an exception on this file. The finding names the rule
    and the error; the other rules' findings on the file, and the other files, are
    still reported.

    ## Why is this bad?
    A crashed rule checked nothing after the point of the crash, so findings may be
    missing. Please report it with the file (or a reduced example) that triggers it.

    ## Example
    Any file on which a rule has a bug.

    ## Use instead
    Report the crash; `# noqa: NWS901` or `ignore = ["NWS901"]` silences it meanwhile.

    ## Fix
    No automatic fix.
    """

    code = "NWS901"
    name = "rule-crashed"
    message = "rule {rule} crashed on this file: {error}"
    summary = "A rule raised on this file; reported, and the run goes on."
    tool = True
    # The engine reports NWS901 only when a rule has a bug, which no example can
    # show; tests inject a crashing rule instead (tests/test_engine.py).
    VALID = [
        """
        x = 1
        """,
        """
        def f():
            pass
        """,
        """
        class A:
            pass
        """,
        """
        import os
        """,
    ]
