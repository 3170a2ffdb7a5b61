"""The report's backlink sections: relevance and equity (charts, the equity per referring
domain, the most relevant and the off-topic backlinks) and the backlinks explorer.

The explorer holds every backlink of the report (up to ``report --explorer-rows``) as JSON in
the page (``<script type="application/json">``, column by column, strings dictionary-encoded) and
``static/explorer.js`` renders it a page of rows at a time, sorted by a click on a header and
filtered by a box or a list per column; so thousands of backlinks stay one small, fast file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from linkspider.htmlreport import charts
from linkspider.htmlreport.tables import Column, table_html


@dataclass(frozen=True)
class ExplorerColumn:
    """A column of the explorer: the row key, its header, how it is shown and filtered."""

    key: str
    title: str
    kind: str = "text"  # text | url | category | number | equity | terms
    scored: bool = False  # from link_scores: present only when the run was analyzed


EXPLORER_COLUMNS = (
    ExplorerColumn("referring_domain", "referring domain", "category"),
    ExplorerColumn("source_url", "linking page", "url"),
    ExplorerColumn("target_url", "target", "url"),
    ExplorerColumn("anchor_text", "anchor"),
    ExplorerColumn("follow_reason", "follow", "category"),
    ExplorerColumn("region", "region", "category"),
    ExplorerColumn("relevance", "relevance", "number", True),
    ExplorerColumn("relevance_terms", "shared terms", "terms", True),
    ExplorerColumn("relevance_basis", "basis", "category", True),
    ExplorerColumn("site_relevance", "site relevance", "number", True),
    ExplorerColumn("equity", "equity", "equity", True),
    ExplorerColumn("source_language", "lang", "category", True),
    ExplorerColumn("target_language", "target lang", "category", True),
)  # fmt: skip

#: Columns whose values are strings, stored once each in the embedded JSON (``dicts``).
_STRING_KINDS = ("text", "url", "category", "terms")


def _esc(value: Any) -> str:
    import html

    return html.escape("" if value is None else str(value), quote=True)


def explorer_columns(scored: bool) -> list[ExplorerColumn]:
    """Return the explorer's columns: the links table's, and link_scores' when ``scored``."""
    return [c for c in EXPLORER_COLUMNS if scored or not c.scored]


def explorer_data(rows: list[dict[str, Any]], columns: list[ExplorerColumn]) -> dict[str, Any]:
    """Return the explorer's rows as the page embeds them, column by column: each string
    column a list of indices into ``dicts[key]`` (its distinct values), numbers to 6
    significant digits, missing values null.

    >>> explorer_data([{"region": "main", "equity": 0.000123456789}, {"region": "main", "equity": None}],
    ...               [ExplorerColumn("region", "region", "category"), ExplorerColumn("equity", "equity", "equity")])
    {'columns': [{'key': 'region', 'title': 'region', 'kind': 'category'}, {'key': 'equity', 'title': 'equity', 'kind': 'equity'}], 'dicts': {'region': ['main']}, 'values': [[0, 0], [0.000123457, None]]}
    """
    dicts: dict[str, list[str]] = {}
    values: list[list[Any]] = []
    for c in columns:
        column = [row.get(c.key) for row in rows]
        if c.kind == "terms":
            column = [", ".join(v) if v else None for v in column]
        if c.kind in _STRING_KINDS:
            index: dict[str, int] = {}
            values.append([None if v is None else index.setdefault(str(v), len(index)) for v in column])
            dicts[c.key] = list(index)
        else:
            values.append([None if v is None else float(f"{v:.6g}") for v in column])
    return {"columns": [{"key": c.key, "title": c.title, "kind": c.kind} for c in columns],
            "dicts": dicts, "values": values}  # fmt: skip


def embed_json(data: Any) -> str:
    """Return ``data`` as JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``).

    >>> embed_json({"anchor": "</script><!--"})
    '{"anchor":"\\\\u003c/script>\\\\u003c!--"}'
    """
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def explorer_script() -> str:
    """Return the explorer's script (``static/explorer.js``, shipped as package data)."""
    return resources.files("linkspider.htmlreport").joinpath("static/explorer.js").read_text(encoding="utf-8")


def _hint(text: str) -> str:
    parts = _esc(text).split("`")
    return '<p class="hint">' + "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)) + "</p>"


def _chart(name: str, spec: dict[str, Any]) -> str:
    return f'<figure class="chart" data-chart="{name}">{charts.render_svg(spec)}</figure>'


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{_esc(title)}</h2>{body}</section>'


def _decade_label(decade: int) -> str:
    return f"1e{decade}–1e{decade + 1}"


BACKLINK_TABLE = [Column("referring_domain", "referring domain"), Column("source_url", "linking page", "url"),
                  Column("target_url", "target", "url"), Column("anchor_text", "anchor"),
                  Column("relevance", "relevance", "ratio"), Column("relevance_terms", "shared terms", "terms"),
                  Column("site_relevance", "site relevance", "ratio"), Column("follow_reason", "follow"),
                  Column("equity", "equity", "equity")]  # fmt: skip


def quality_section(f: dict[str, Any]) -> str:
    """Return the relevance and equity section: distributions, equity per referring domain,
    the most relevant and the off-topic backlinks (or which command makes them)."""
    s = f["backlinks"]
    title = "Relevance and equity of the backlinks"
    if not s["scored"]:
        return _section("backlink-quality", title, _hint(s["hint"]))
    m = s["summary"]
    median = "–" if m["median_relevance"] is None else f"{m['median_relevance']:.3f}"
    body = (f'<p data-summary="backlinks">{m["backlinks"]:,} backlinks: {m["passing_equity"]:,} pass equity, '
            f'{m["equity"] or 0:.3g} of the crawl\'s rank in all; relevance known for {m["with_relevance"]:,} '
            f'(median {median}), {m["off_topic"]:,} off-topic (relevance under {s["off_topic"]["below"]}). '
            "Equity: the share of the crawl's PageRank a link passes; relevance: how close the linking "
            "page's main text is to the target's, 0 to 1 (docs/analysis.md).</p>")  # fmt: skip
    decades = [{"equity": _decade_label(r["decade"]), "backlinks": r["backlinks"]} for r in s["equity_decades"]]
    body += '<div class="row">'
    if m["with_relevance"]:
        body += _chart("relevance", charts.histogram_chart(s["relevance_bins"], "Backlinks by relevance", "relevance",
                                                           "backlinks", (0, 1), 0.1))  # fmt: skip
    if decades:
        body += _chart("equity", charts.column_chart(decades, "equity", "backlinks",
                                                     "Backlinks passing equity, by order of magnitude",
                                                     "equity passed", "backlinks"))  # fmt: skip
    body += "</div>"
    by_domain = s["equity_by_domain"]
    body += "<h3>Equity passed per referring domain</h3>"
    if any(r["equity"] for r in by_domain["rows"]):
        chart_rows = [r for r in by_domain["rows"] if r["equity"]][:20]
        body += _chart("equity_by_domain", charts.bar_chart(chart_rows, "referring_domain", "equity",
                                                            "Equity passed by referring domain", "referring domain",
                                                            "equity (sum over its backlinks)", value_format=".3~g"))  # fmt: skip
    body += table_html("equity_by_domain", [
        Column("referring_domain", "referring domain"), Column("equity", "equity passed", "equity"),
        Column("equity_share", "share of the equity passed", "share"), Column("backlinks", "backlinks", "int"),
        Column("followed_backlinks", "followed", "int"), Column("mean_relevance", "mean relevance", "ratio")],
        by_domain["rows"], by_domain["total"])  # fmt: skip
    body += "<h3>Most relevant backlinks</h3>" + table_html(
        "most_relevant", BACKLINK_TABLE, s["most_relevant"]["rows"], s["most_relevant"]["total"])  # fmt: skip
    body += (f"<h3>Off-topic backlinks</h3><p>Relevance under {s['off_topic']['below']}: the linking page shares "
             "almost no main-text terms with the target; those passing the most equity first.</p>"
             + table_html("off_topic", BACKLINK_TABLE, s["off_topic"]["rows"], s["off_topic"]["total"]))  # fmt: skip
    return _section("backlink-quality", title, body)


PAGE_SIZES = (25, 50, 100, 500, 1000)


def explorer_section(f: dict[str, Any]) -> str:
    """Return the backlinks explorer: every backlink, sortable and filterable in the page."""
    s = f["backlinks"]
    columns = explorer_columns(s["scored"])
    shown, total = len(s["rows"]), s["total"]
    if shown < total:
        scope = f"the {shown:,} of {total:,} backlinks passing the most equity (<code>--explorer-rows</code>)"
    else:
        scope = f"all {total:,} backlinks"
    body = _hint(s["hint"]) if not s["scored"] else ""
    body += (f"<p>{scope}, one row each. Click a header to sort; type in a column's box to filter (text: "
             "part of the value, <code>=value</code> exact, <code>!value</code> without; numbers: "
             "<code>&gt;0.5</code>, <code>&lt;=0.1</code>, <code>0.2..0.8</code>, <code>none</code>).</p>")
    sizes = "".join(f'<option value="{n}"{" selected" if n == 50 else ""}>{n}</option>' for n in PAGE_SIZES)
    body += (f'<div id="backlinks-explorer" class="explorer" data-total="{total}" data-rows="{shown}">'
             '<div class="explorer-bar"><span class="explorer-status" aria-live="polite"></span>'
             '<button type="button" data-action="prev">‹ previous</button><span class="explorer-page"></span>'
             '<button type="button" data-action="next">next ›</button>'
             f'<label>rows per page <select data-action="size">{sizes}</select></label>'
             '<button type="button" data-action="clear">clear filters</button></div>'
             '<div class="explorer-scroll"><table data-table="backlinks_explorer"><thead></thead><tbody></tbody>'
             "</table></div><noscript><p class=\"hint\">The explorer needs JavaScript; the same rows: "
             "<code>linkspider report --json</code> (backlinks.rows).</p></noscript></div>"
             f'<script type="application/json" id="backlinks-data">{embed_json(explorer_data(s["rows"], columns))}'
             "</script>")  # fmt: skip
    return _section("explorer", "Backlinks explorer", body)


EXPLORER_CSS = """
.explorer-bar{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:center;margin:6px 0}
.explorer-status{font-weight:600}.explorer-scroll{overflow-x:auto}
.explorer table{width:100%;table-layout:auto}.explorer th{vertical-align:bottom}
.explorer thead tr.filters th{background:#fff;cursor:default;padding:3px 4px}
.explorer thead input,.explorer thead select{width:100%;min-width:60px;box-sizing:border-box;font-size:12px}
.explorer thead input.invalid{outline:2px solid #dc2626}.explorer td.num{font-variant-numeric:tabular-nums;text-align:right}
.explorer table{font-size:12px}.explorer td .url{display:block;min-width:17em;font-size:11px}
.explorer td[data-col=anchor_text]{min-width:9em}.explorer td[data-col=relevance_terms]{min-width:8em}
"""
