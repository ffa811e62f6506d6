"""The report's HTML: blocks (tiles, tables, charts, empty states) into one self-contained page.

Every script and style is inside the file: the Vega, Vega-Lite and vega-embed bundle comes from
``vl-convert-python`` (no CDN), and a Content-Security-Policy forbids the page any network request.
The charts' Vega-Lite specs are compiled to Vega here, in Python, so the browser only runs them.
"""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import vl_convert

CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:"
)


@dataclass
class Tile:
    label: str
    value: str
    detail: str = ""
    tone: str = ""  # "bad", "warn", "good" or ""


@dataclass
class Tiles:
    tiles: list[Tile]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""
    links: list[str | None] = field(default_factory=list)  # per row: anchor its first cell links to
    note: str = ""
    name: str = ""


@dataclass
class Chart:
    name: str
    title: str
    spec: dict[str, Any]
    anchor: str = ""
    note: str = ""


@dataclass
class Empty:
    message: str
    title: str = ""


Block = Tiles | Table | Chart | Empty


@dataclass
class Section:
    anchor: str
    title: str
    statement: str
    blocks: list[Block]


VEGA_LITE_VERSION = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]  # the version Altair writes


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vega-embed, Vega-Lite and Vega as one classic script (~0.9 MB). vega-embed needs Vega-Lite bundled
    even for Vega specs (a Vega-only bundle from vl-convert 1.9 leaves ``vega`` null)."""
    # snippet=None is the default at run time (the global vegaEmbed, vegaLite, vega); the stub says required
    return vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)  # type: ignore[call-arg]


def to_vega(spec: dict[str, Any]) -> dict[str, Any]:
    """A chart's Vega-Lite spec compiled to Vega (measured by hand at 5M rows: the load event came at
    0.83× the time it took when the browser compiled the specs; bench/RESULTS.md run 13)."""
    return vl_convert.vegalite_to_vega(spec, vl_version=VEGA_LITE_VERSION)


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _cell(value: Any) -> str:
    if value is None:
        return '<td class="null">–</td>'
    if isinstance(value, float):
        return f'<td class="num">{value:,.2f}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="num">{value:,}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def render_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = []
    for index, row in enumerate(table.rows):
        cells = [_cell(v) for v in row]
        link = table.links[index] if index < len(table.links) else None
        if link:
            cells[0] = f'<td><a href="#{html.escape(link)}">{html.escape(str(row[0]))}</a></td>'
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (
        f'<table data-table="{html.escape(table.name)}">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def render_block(block: Block) -> str:
    if isinstance(block, Tiles):
        return (
            '<div class="tiles">'
            + "".join(
                f'<div class="tile {t.tone}"><div class="value">{html.escape(t.value)}</div>'
                f'<div class="label">{html.escape(t.label)}</div><div class="detail">{html.escape(t.detail)}</div></div>'
                for t in block.tiles
            )
            + "</div>"
        )
    if isinstance(block, Table):
        return render_table(block)
    if isinstance(block, Empty):
        title = f"<h3>{html.escape(block.title)}</h3>" if block.title else ""
        return f'{title}<p class="empty">{html.escape(block.message)}</p>'
    anchor = f' id="{html.escape(block.anchor)}"' if block.anchor else ""
    note = f'<p class="note">{html.escape(block.note)}</p>' if block.note else ""
    return (
        f'<figure class="chart"{anchor}><h3>{html.escape(block.title)}</h3>'
        f'<div class="vega" data-chart="{html.escape(block.name)}"></div>{note}</figure>'
    )


def render_section(section: Section) -> str:
    blocks = "\n".join(render_block(b) for b in section.blocks)
    return (
        f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2>'
        f'<p class="statement">{html.escape(section.statement)}</p>\n{blocks}</section>'
    )


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{background:#1d2b3a;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d3dd}nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;
padding:8px 24px;z-index:2}nav a{margin-right:16px;color:#1f6fb4;text-decoration:none}
main{padding:0 24px 40px;max-width:1300px}section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;
margin:18px 0;padding:4px 18px 16px}h2{font-size:18px;margin:14px 0 2px}h3{font-size:14px;margin:14px 0 4px}
.statement{color:#555;margin:0 0 10px}.note{color:#777;font-size:12px;margin:4px 0}
.empty{color:#8a5a00;background:#fff7e6;border:1px dashed #e0b460;padding:10px 12px;border-radius:4px}
.tiles{display:flex;flex-wrap:wrap;gap:10px}.tile{border:1px solid #e3e3e3;border-radius:6px;padding:8px 12px;
min-width:150px}.tile .value{font-size:22px;font-weight:600}.tile .label{color:#444}.tile .detail{color:#888;
font-size:12px}.tile.bad{border-color:#d73027;background:#fdf0ef}.tile.warn{border-color:#ef8a62;
background:#fff6f0}.tile.good{border-color:#4c9f70;background:#f1f8f3}
table{border-collapse:collapse;margin:8px 0;font-size:13px}caption{text-align:left;font-weight:600;
padding:4px 0}th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;white-space:nowrap}
th{background:#f3f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}td.null{color:#bbb}
figure.chart{margin:8px 0 14px}figure.chart:target{outline:2px solid #f4c26b;outline-offset:4px}
.vega-bind{margin:4px 0}.vega-bind-name{font-weight:600}
"""

SCRIPT = """
const specs = JSON.parse(document.getElementById('report-specs').textContent);
window.reportViews = {};
const draw = el =>
  vegaEmbed(el, specs[el.dataset.chart], {mode: 'vega', renderer: 'svg', actions: false}).then(result => {
    window.reportViews[el.dataset.chart] = result.view;
    el.dataset.rendered = 'true';
  });
// the charts in the first screen are drawn before the load event; the others after it, in page order,
// one per task, so the page opens and scrolls while they are drawn (30 trend charts take seconds)
const charts = Array.from(document.querySelectorAll('[data-chart]'));
const firstScreen = charts.filter(el => el.getBoundingClientRect().top < window.innerHeight);
const drawnFirst = Promise.all(firstScreen.map(draw));
const loaded = new Promise(resolve => window.addEventListener('load', resolve));
window.reportReady = Promise.all([drawnFirst, loaded]).then(async () => {
  for (const el of charts.filter(el => !firstScreen.includes(el))) {
    await new Promise(resolve => setTimeout(resolve));
    await draw(el);
  }
}).then(() => { document.body.dataset.ready = 'true'; },
        error => { document.body.dataset.ready = 'error'; console.error(error); });
"""


def render_page(title: str, subtitle: str, sections: list[Section]) -> str:
    """The whole page: header, navigation, sections, the chart specs and the inlined chart library."""
    specs = {b.name: to_vega(b.spec) for s in sections for b in s.blocks if isinstance(b, Chart)}
    nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    body = "\n".join(render_section(s) for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body><header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>
<nav>{nav}</nav><main>
{body}
</main>
<script id="report-specs" type="application/json">{_script_json(specs)}</script>
<script>{vega_bundle()}</script>
<script>{SCRIPT}</script>
</body></html>
"""
