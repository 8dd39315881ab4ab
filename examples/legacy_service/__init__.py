"""A small multi-user agent service in the old singleton style (netra-ws-lint's demo).

Every default rule of netra-ws-lint fires somewhere in this package; its migrated twin
is ../factory_service, which is clean.
"""
