"""Rule docs (the tool's Markdown) as safe HTML, for the migration dashboard.

The subset the rule docs use: ``#``/``##`` headings, fenced code blocks, paragraphs,
``-`` lists, inline code spans and ``**bold**``. Everything else is text: every
character is HTML-escaped first (and control and bidi characters made visible, see
:func:`.escape.html`), so no markup can come through; only the tags written here are
produced. No raw Markdown is left in the output (no backticks around code).
"""

from __future__ import annotations

import re

from netra_ws_lint.report.escape import html as esc

_CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1", re.S)
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*")


def inline(text: str) -> str:
    """One paragraph's text as HTML: code spans, bold, the rest escaped."""
    out = []
    pos = 0
    for m in _CODE_SPAN_RE.finditer(text):
        out.append(_text(text[pos : m.start()]))
        code = m.group(2)
        if code.startswith(" ") and code.endswith(" ") and code.strip():
            code = code[1:-1]
        out.append(f"<code>{esc(code)}</code>")
        pos = m.end()
    out.append(_text(text[pos:]))
    return "".join(out)


def _text(text: str) -> str:
    escaped = esc(text)
    return _BOLD_RE.sub(r"<b>\1</b>", escaped)


def render(markdown: str, heading_offset: int = 2) -> str:
    """``markdown`` as HTML; ``#`` becomes ``<h{1 + heading_offset}>`` and so on."""
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []
    lines = markdown.splitlines()
    i = 0

    def flush() -> None:
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(t)}</li>" for t in items) + "</ul>")
            items.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            lang = stripped[3:].strip()
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            cls = f' class="language-{esc(lang)}"' if lang else ""
            code = "\n".join(esc(b) for b in body)  # each line escaped, the newlines kept
            out.append(f"<pre><code{cls}>{code}</code></pre>")
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            flush()
            level = min(6, len(heading.group(1)) + heading_offset)
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif not stripped:
            flush()
        elif re.match(r"^[-*]\s+", stripped):
            if para:
                flush()
            items.append(re.sub(r"^[-*]\s+", "", stripped))
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + stripped  # a list item's continuation line
        else:
            if items:
                flush()
            para.append(stripped)
        i += 1
    flush()
    return "".join(out)
