"""NWS1: process-wide singletons of user-scoped objects.

Importing this package registers its rules: one module per rule."""

from __future__ import annotations

from netra_ws_lint.rules.nws1_singletons import (
    deprecated_accessor_call,
    deprecated_accessor_import,
    module_level_user_instance,
    singleton_definition,
    singleton_getter_call,
)

__all__ = [
    "deprecated_accessor_call",
    "deprecated_accessor_import",
    "module_level_user_instance",
    "singleton_definition",
    "singleton_getter_call",
]
