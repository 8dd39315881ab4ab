"""NWS2: state shared by every user of the process (module-level containers, class
attributes, process-wide caches and locks, context-variable defaults).

The mutation detection (what counts as mutating a container, and which container a
statement or call mutates) is written once in :class:`_MutationRule` and shared by
NWS201 / NWS202 (module-level containers) and NWS204 (class attributes).

Module-level containers and locks are collected once per file, lazily, from the module
scope's bindings (so a function sees a container defined below it); their constructor
names are resolved at module level (``import collections as c; c.defaultdict(list)``).

Importing this package registers its rules: one module per rule."""

from __future__ import annotations

from netra_ws_lint.rules.nws2_shared_state import (
    contextvar_mutable_default,
    global_lock_in_user_path,
    global_request_state,
    module_mutable_state,
    process_env_state,
    shared_class_state,
    shared_instance_state,
    shared_module_cache,
    thread_local_state,
    user_keyed_function_cache,
)

__all__ = [
    "contextvar_mutable_default",
    "global_lock_in_user_path",
    "global_request_state",
    "module_mutable_state",
    "process_env_state",
    "shared_class_state",
    "shared_instance_state",
    "shared_module_cache",
    "thread_local_state",
    "user_keyed_function_cache",
]
