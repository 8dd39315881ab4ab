"""``migrate --html FILE``: the migration dashboard, one self-contained HTML file.

Everything is inline (styles, SVG charts, a small script that sorts the tables, the
rule docs the sites link to), so the file works opened from disk and makes no network
request. Rendered from the plan (:func:`netra_ws_lint.fix.migrate.build_plan`) and the
burndown counts (:mod:`netra_ws_lint.report.history`); every number in it is one of
theirs. Elements carry ``id`` / ``data-*`` attributes so that tests (and scripts) can
read the counts back from the rendered page.
"""

from __future__ import annotations

from typing import Any

from netra_ws_lint.report.escape import html as escape

BAR_H = 28
WIDTH = 640
LABEL_W = 250
LABEL_CHARS = 30  # a longer label shows its end, after an ellipsis (the full one on hover)
# the charts are scaled to their column: at its narrowest (MIN_COLUMN px) a label of
# FONT_PX in the 640-wide drawing is shown at FONT_PX * MIN_COLUMN / WIDTH pixels
FONT_PX = 15
MIN_COLUMN = 560

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}
.card{border:1px solid #d5dbe3;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:24px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(MIN_COLUMNpx,1fr));gap:18px}
svg.chart{display:block;max-width:100%;height:auto}
figure{margin:0;border:1px solid #d5dbe3;border-radius:6px;padding:10px}
figcaption{font-weight:600;margin-bottom:6px}
svg text{font-size:FONT_PXpx;fill:#1d2430}
.auto{fill:#3f8f5a}.manual{fill:#c8553d}.line{fill:none;stroke:#c8553d;stroke-width:2}
.line.total{stroke:#3a5f9e}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border-bottom:1px solid #e3e7ed;padding:4px 8px;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f3f5f8;user-select:none}th[aria-sort]::after{content:" \\2195"}
td.num,th.num{text-align:right}code{font-size:12px}
.rule-doc pre{white-space:pre-wrap;background:#f6f7f9;padding:10px;border-radius:6px}
.rule-doc code{background:#f0f2f5;border-radius:3px;padding:0 3px}
.rule-doc pre code{background:none;padding:0}
.legend span{margin-right:14px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
""".replace("MIN_COLUMN", str(MIN_COLUMN)).replace("FONT_PX", str(FONT_PX))

SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.setAttribute('aria-sort', 'none');
    th.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th').forEach(function (o) { o.setAttribute('aria-sort', 'none'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent;
        var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _bars(chart_id: str, rows: list[tuple[str, int, int]], title: str) -> str:
    """Horizontal stacked bars: (label, automatic, manual) per row."""
    top = max((a + m for _, a, m in rows), default=0) or 1
    scale = (WIDTH - LABEL_W - 50) / top
    h = BAR_H * len(rows) + 10
    parts = [
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg id="{chart_id}" class="chart" role="img" width="100%" '
        f'viewBox="0 0 {WIDTH} {h}" data-total="{sum(a + m for _, a, m in rows)}">'
    ]
    for i, (label, auto, manual) in enumerate(rows):
        y = 5 + i * BAR_H
        wa, wm = auto * scale, manual * scale
        parts.append(
            f'<g class="row" data-label="{escape(label)}" data-automatic="{auto}" '
            f'data-manual="{manual}" data-value="{auto + manual}">'
            f'<text x="{LABEL_W - 6}" y="{y + 19}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
            f'<rect class="bar auto" x="{LABEL_W}" y="{y + 3}" width="{wa:.1f}" '
            f'height="{BAR_H - 6}"/>'
            f'<rect class="bar manual" x="{LABEL_W + wa:.1f}" y="{y + 3}" width="{wm:.1f}" '
            f'height="{BAR_H - 6}"/>'
            f'<text x="{LABEL_W + wa + wm + 6:.1f}" y="{y + 19}">{auto + manual}</text></g>'
        )
    parts.append("</svg>" + _legend() + "</figure>")
    return "".join(parts)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else "\u2026" + label[-(LABEL_CHARS - 1) :]


def _legend() -> str:
    return (
        '<div class="legend"><span><i class="sw" style="background:#3f8f5a"></i>automatic'
        '</span><span><i class="sw" style="background:#c8553d"></i>manual</span></div>'
    )


def _burndown(history: list[dict[str, Any]]) -> str:
    if not history:
        return (
            '<figure><figcaption>Burndown</figcaption><p id="chart-burndown-empty">No history: '
            "run <code>migrate --html FILE --history N</code> in a git repository.</p></figure>"
        )
    w, h, pad = WIDTH, 240, 40
    top = max(p["sites"] for p in history) or 1
    n = len(history)

    def x(i: int) -> float:
        return pad + (w - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: int) -> float:
        return h - pad + (pad * 1.5 - h) * v / top + 0.0

    parts = [
        "<figure><figcaption>Burndown: sites left at each commit (blue: all, red: manual)"
        f'</figcaption><svg id="chart-burndown" class="chart" role="img" width="100%" '
        f'viewBox="0 0 {w} {h}" data-points="{n}">'
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#999"/>'
        f'<text x="4" y="{y(top) + 4:.1f}">{top}</text><text x="4" y="{h - pad + 4}">0</text>'
    ]
    for key, cls in (("sites", "line total"), ("manual", "line")):
        pts = " ".join(f"{x(i):.1f},{y(p[key]):.1f}" for i, p in enumerate(history))
        parts.append(f'<polyline class="{cls}" points="{pts}"/>')
    for i, p in enumerate(history):
        parts.append(
            f'<circle class="point" cx="{x(i):.1f}" cy="{y(p["sites"]):.1f}" r="3.5" '
            f'fill="#3a5f9e" data-commit="{escape(p["commit"])}" data-value="{p["sites"]}" '
            f'data-manual="{p["manual"]}"><title>{escape(p["commit"][:10])} '
            f"{escape(p.get('subject', ''))}: {p['sites']} sites</title></circle>"
        )
    first, last = history[0], history[-1]
    parts.append(
        f'<text x="{pad}" y="{h - 12}">{escape(first["commit"][:8])}</text>'
        f'<text x="{w - pad}" y="{h - 12}" text-anchor="end">{escape(last["commit"][:8])}</text>'
    )
    parts.append("</svg></figure>")
    return "".join(parts)


def _table(table_id: str, head: list[tuple[str, bool]], rows: list[list[tuple[str, str]]]) -> str:
    """A sortable table: head is (title, numeric); each cell is (html, sort key)."""
    th = "".join(f"<th{' class=num' if num else ''}>{escape(t)}</th>" for t, num in head)
    body = []
    for row in rows:
        cells = []
        for (cell_html, key), (_, num) in zip(row, head):
            cls = ' class="num"' if num else ""
            cells.append(f'<td{cls} data-sort="{escape(key)}">{cell_html}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table id="{table_id}" class="sortable"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _rule_docs(codes: list[str]) -> str:
    """Each rule's doc, rendered from its Markdown (code, lists, headings)."""
    from netra_ws_lint.report.docs import rule_doc
    from netra_ws_lint.report.markdown_html import render as markdown_html

    parts = []
    for code in codes:
        doc = rule_doc(code)
        if doc is None:
            continue
        parts.append(
            f'<section class="rule-doc" id="rule-{escape(code)}">'
            f"{markdown_html(doc, heading_offset=2)}</section>"
        )
    return "".join(parts)


def render(plan: dict[str, Any], history: list[dict[str, Any]]) -> str:
    s = plan["summary"]
    by_rule: dict[str, list[int]] = {}
    site_rows: list[list[tuple[str, str]]] = []
    for g in plan["groups"]:
        for site in g["sites"]:
            counts = by_rule.setdefault(site["code"], [0, 0])
            counts[0 if site["automatic"] else 1] += 1
            how = "automatic" if site["automatic"] else "manual"
            code = escape(site["code"])
            site_rows.append(
                [
                    (f"<code>{escape(site['path'])}</code>", site["path"]),
                    (str(site["line"]), str(site["line"])),
                    (f'<a class="rule-link" href="#rule-{code}">{code}</a>', site["code"]),
                    (escape(g["title"]), g["title"]),
                    (how, how),
                    (escape(site["reason"] if not site["automatic"] else site["message"]), ""),
                ]
            )
    packages = [(p["package"], p["automatic"], p["manual"]) for p in plan["packages"]]
    rules = [(code, a, m) for code, (a, m) in sorted(by_rule.items())]
    split = [("automatic", s["automatic"], 0), ("manual", 0, s["manual"])]
    order = "".join(
        f"<li>{escape(step['title'])}: <b>{step['sites']}</b> site{'s' * (step['sites'] != 1)}"
        + (f" (<code>{escape(step['command'])}</code>)" if step.get("command") else "")
        + "</li>"
        for step in plan["order_of_work"]
    )
    package_rows = [
        [
            (f"<code>{escape(p['package'])}</code>", p["package"]),
            (str(p["files"]), str(p["files"])),
            (str(p["sites"]), str(p["sites"])),
            (str(p["automatic"]), str(p["automatic"])),
            (str(p["manual"]), str(p["manual"])),
        ]
        for p in plan["packages"]
    ]
    cards = "".join(
        f'<div class="card"><b id="count-{key}">{s[key]}</b>{escape(label)}</div>'
        for key, label in (
            ("sites", "sites left"),
            ("automatic", "automatic"),
            ("manual", "manual"),
            ("files_with_work", "files with work"),
        )
    )
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>netra-ws-lint migration dashboard</title><style>{STYLE}</style></head><body>"
        f"<h1>Migration dashboard</h1><p>{escape(plan['tool'])} {escape(plan['version'])}, "
        f"{escape(plan['generated'])}, mode {escape(plan['mode'])}.</p>"
        f'<div class="cards">{cards}</div>'
        f"<h2>Order of work</h2><ol id=order>{order}</ol>"
        '<div class="grid">'
        + _bars("chart-packages", packages, "Remaining sites per package")
        + _bars("chart-rules", rules, "Remaining sites per rule")
        + _bars("chart-split", split, "Automatic vs manual")
        + _burndown(history)
        + "</div><h2>Packages</h2>"
        + _table(
            "packages",
            [
                ("package", False),
                ("files", True),
                ("sites", True),
                ("automatic", True),
                ("manual", True),
            ],
            package_rows,
        )
        + "<h2>Sites</h2>"
        + _table(
            "sites",
            [
                ("file", False),
                ("line", True),
                ("rule", False),
                ("group", False),
                ("fix", False),
                ("what to do", False),
            ],
            site_rows,
        )
        + "<h2>Rules</h2>"
        + _rule_docs(sorted(by_rule))
        + f"<script>{SCRIPT}</script></body></html>\n"
    )
