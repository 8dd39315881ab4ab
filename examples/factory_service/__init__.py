"""The migrated twin of ../legacy_service: every user-specific object is built per
request from the user's context, and nothing user-specific lives in process-wide
state. netra-ws-lint finds nothing here."""
