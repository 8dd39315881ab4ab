"""NWS3: every request builds its user-scoped objects from the user's own context.

The five rules share one per-file helper (:class:`_Facts`, one per checked file):
word matches, signatures of same-module callables and singleton getters are worked
out once per name or definition and reused by every call site.

Which rule gets a call that does not pass a user context (one call never gets both):

- NWS301 when the callee *must* be given one: a configured context factory, a
  configured user-scoped type, a same-module class whose ``__init__`` takes a user
  context (a user-scoped type by definition), or a same-module function whose
  user-context parameter has no default. Flagged whatever is in scope.
- NWS303 when the callee is a same-module function (or a method of the enclosing
  class) whose user-context parameter has a default, and a user context is in scope.

Importing this package registers its rules: one module per rule."""

from __future__ import annotations

from netra_ws_lint.rules.nws3_user_context import (
    context_dropped,
    factory_without_context,
    optional_context_parameter,
    placeholder_context,
    user_action_without_context,
)

__all__ = [
    "context_dropped",
    "factory_without_context",
    "optional_context_parameter",
    "placeholder_context",
    "user_action_without_context",
]
