"""Each rule's name by code, for the outputs that name rules (``--statistics``): printing
counts of cached findings must not import every rule (and the analysis they use) to
learn 21 names. A test keeps this table equal to the rules' own ``name``; a code not in
it (a custom NWS5xx pattern rule) is looked up in the registry."""

from __future__ import annotations

RULE_NAMES = {
    "NWS101": "deprecated-accessor-call",
    "NWS102": "deprecated-accessor-import",
    "NWS103": "module-level-user-instance",
    "NWS104": "singleton-definition",
    "NWS105": "singleton-getter-call",
    "NWS201": "shared-module-cache",
    "NWS202": "module-mutable-state",
    "NWS203": "user-keyed-function-cache",
    "NWS204": "shared-class-state",
    "NWS205": "global-lock-in-user-path",
    "NWS206": "contextvar-mutable-default",
    "NWS207": "global-request-state",
    "NWS208": "thread-local-state",
    "NWS209": "shared-instance-state",
    "NWS210": "process-env-state",
    "NWS301": "factory-without-context",
    "NWS302": "user-action-without-context",
    "NWS303": "context-dropped",
    "NWS304": "placeholder-context",
    "NWS305": "optional-context-parameter",
    "NWS900": "syntax-error",
    "NWS901": "rule-crashed",
    "NWS902": "unused-noqa",
}
