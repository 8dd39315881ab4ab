"""NWS900 syntax-error."""

from __future__ import annotations

from netra_ws_lint.rules.base import Rule, register


@register
class SyntaxErrorRule(Rule):
    """
    ## What it does
    Reports a file that cannot be parsed as Python (or decoded as text): a syntax
    error, a null byte, an undecodable byte sequence, or nesting too deep for the parser.

    ## Why is this bad?
    Nothing in a file that does not parse can be checked, so a singleton in it would
    go unnoticed. The run goes on with the other files.

    ## Example
    ```python
    def handler(user_context:
        manager = get_websocket_manager()
    ```

    ## Use instead
    ```python
    def handler(user_context):
        manager = create_websocket_manager(user_context)
    ```

    ## Fix
    No automatic fix. Only the standalone CLI reports it; under flake8, flake8's
    own `E999` reports syntax errors.
    """

    code = "NWS900"
    name = "syntax-error"
    message = "syntax error: {detail}"
    summary = "The file does not parse; it was not checked (the run goes on)."
    tool = True
    INVALID = [
        """
        async def handler(user_context, :  # expect: NWS900@33
            pass
        """,
        """
        def handler(user_context):
        return 1  # expect: NWS900@1
        """,
        """
        x = (1,  # expect: NWS900
        """,
        """
        class Manager  # expect: NWS900
            pass
        """,
        """
        print 'python 2'  # expect: NWS900
        """,
    ]
    VALID = [
        """
        x = 1
        """,
        """
        async def f(user_context):
            return [y async for y in user_context.stream()]
        """,
        "",
        """
        # only a comment
        """,
    ]
