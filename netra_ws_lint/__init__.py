"""netra-ws-lint: keep multi-user async backends from leaking one user's data to another."""

__version__ = "0.1.0"
