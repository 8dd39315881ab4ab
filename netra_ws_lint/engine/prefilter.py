"""A file-level prefilter: skip the rule walk of a file on which no enabled rule can fire.

Each rule declares its *trigger* (``Rule.trigger``): groups of words, every group of
which must have one word in the file's text for the rule to be able to report anything
(a conjunction of disjunctions). The words come from the configured vocabulary, so they follow the
configuration: a name in a word list matches an identifier of the file, and an
identifier matching a glob pattern contains each literal fragment of the pattern.
Identifiers are compared after NFKC normalisation (as Python does) when the file is not
ASCII. A rule without a trigger (an audit rule that needs only a module-level container,
an unknown rule, a custom rule) can fire on any file: then nothing is skipped.

What the default rule set can still skip: NWS204 (shared class state) needs only a
``class`` statement, so only files without the word ``class`` and without any of the
vocabulary of the other rules (accessors, factories, user-scoped types, context names
and types, identity names, ``async``, ``cache``, ``ContextVar``) are skipped. A file
that is skipped is still parsed when NWS900 (syntax error) is enabled, so a syntax error
is reported exactly as without the prefilter; only the rule walk is skipped.

In project mode the names the project index knows (user-scoped classes, factories and
singleton getters of other modules) are added to the words of the rules that use them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from netra_ws_lint.analysis.frameworks import HANDLER_WORDS
from netra_ws_lint.config import Settings, Words
from netra_ws_lint.engine.source import identifiers as text_identifiers
from netra_ws_lint.rules.base import all_rules

Trigger = tuple[frozenset[str], ...]  # every group needs one word present
# a group as searched: words to find in the text, and identifiers (the project's names)
_Group = tuple[tuple[str, ...], frozenset[str]]

_GLOB_SPLIT = re.compile(r"[*?.]")


def pattern_words(patterns: Iterable[str]) -> frozenset[str] | None:
    """One word per pattern that any identifier (or dotted name) it matches contains;
    None when a pattern has no literal part (it may match anything)."""
    out: set[str] = set()
    for pattern in patterns:
        if "[" in pattern or "]" in pattern:
            return None  # character classes: no sound literal fragment
        fragments = [f for f in _GLOB_SPLIT.split(pattern) if f]
        if not fragments:
            return None
        out.add(max(fragments, key=len))
    return frozenset(out)


def _union(*groups: frozenset[str] | None) -> frozenset[str] | None:
    out: set[str] = set()
    for g in groups:
        if g is None:
            return None
        out |= g
    return frozenset(out)


def rule_triggers(settings: Settings, extra_names: Iterable[str] = ()) -> dict[str, Trigger | None]:
    """Trigger of each rule code under ``settings`` (None: can fire on any file), from
    the rules' own ``trigger`` words. ``extra_names``: names of user-scoped types,
    factories and singleton getters the project index knows from other modules."""
    w: Words = settings.words
    ctx_types = pattern_words(w.context_types)
    ctx_names = pattern_words(w.context_names)
    context = _union(ctx_types, ctx_names)
    extra = frozenset(extra_names)
    accessors = pattern_words(w.deprecated_accessors)
    factories = pattern_words(w.context_factories)
    scoped = pattern_words(w.user_scoped_types)
    vocabulary: dict[str, frozenset[str] | None] = {
        "accessors": accessors,
        "factories": factories,
        "context-types": ctx_types,
        "context-names": ctx_names,
        "context": context,
        "user-scoped-types": scoped,
        "identity": pattern_words(w.identity_names),
        "sends": pattern_words(w.send_methods),
        "project": extra,
        # (a class of the file whose instances hold per-user state names an identity:
        # the inferred user-scoped types, see analysis/vocabulary.py)
        "user-scoped": _union(
            accessors, factories, scoped, context, pattern_words(w.identity_names), extra
        ),
        "handlers": _union(HANDLER_WORDS, pattern_words(w.request_handler_decorators), extra),
    }

    def group(words: str) -> frozenset[str] | None:
        parts: list[frozenset[str] | None] = []
        for word in words.split():
            if word.startswith("{") and word.endswith("}"):
                parts.append(vocabulary[word[1:-1]])
            else:
                parts.append(frozenset({word}))
        return _union(*parts)

    out: dict[str, Trigger | None] = {}
    for code, rule in all_rules().items():
        if rule.tool:
            continue
        if rule.trigger is None or (rule.audit_fires_anywhere and settings.audit_enabled(code)):
            out[code] = None
            continue
        groups = [group(g) for g in rule.trigger]
        known = [g for g in groups if g is not None]
        out[code] = tuple(known) if len(known) == len(groups) else None
    return out


class Prefilter:
    """Decides, from a file's text, which of ``codes`` can fire on it."""

    def __init__(
        self, settings: Settings, codes: Sequence[str], extra_names: Iterable[str] = ()
    ) -> None:
        triggers = rule_triggers(settings, extra_names)
        self.codes = tuple(codes)
        # None: the rule can fire on any file
        self.by_code: dict[str, Trigger | None] = {c: triggers.get(c) for c in self.codes}
        # the same groups as tuples, the configured words first and the project's names
        # last (shared between rules, so that each is searched once per file)
        # The project's names are identifiers: they are looked up in the set of the
        # file's words (one scan of the text) rather than searched one by one; the
        # configured words (glob fragments among them) are searched as substrings.
        extra = frozenset(extra_names)
        if extra:
            configured = {w for t in rule_triggers(settings).values() if t for g in t for w in g}
            extra -= configured
        tuples: dict[frozenset[str], _Group] = {}
        self.ordered: dict[str, tuple[_Group, ...] | None] = {}
        for code, trig in self.by_code.items():
            if trig is None:
                self.ordered[code] = None
                continue
            groups = []
            for group in trig:
                if group not in tuples:
                    words = tuple(sorted(w for w in group if w not in extra))
                    tuples[group] = (tuple(sorted(words, key=len)), group & extra)
                groups.append(tuples[group])
            self.ordered[code] = tuple(groups)
        # custom pattern rules (NWS5xx) can fire on any file
        self.always = bool(getattr(settings, "patterns", ())) or any(
            t is None for t in self.by_code.values()
        )

    def active(self, source: str) -> tuple[str, ...]:
        """The codes whose trigger words are all in ``source``: the rules worth running
        (the others cannot report anything on it)."""
        if not source.isascii():
            source = unicodedata.normalize("NFKC", source)
        seen: dict[int, bool] = {}  # rules share groups: each is searched once per file
        identifiers: set[str] = set()

        def present(group: _Group) -> bool:
            hit = seen.get(id(group))
            if hit is None:
                words, names = group
                hit = any(word in source for word in words)
                if not hit and names:
                    if not identifiers:
                        identifiers.update(text_identifiers(source))
                    hit = not names.isdisjoint(identifiers)
                seen[id(group)] = hit
            return hit

        return tuple(
            code
            for code, trig in self.ordered.items()
            if trig is None or all(present(group) for group in trig)
        )

    def can_fire(self, source: str) -> bool:
        """Some rule (or a custom pattern rule) can report something on ``source``."""
        return self.always or bool(self.active(source))
