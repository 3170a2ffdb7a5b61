"""The report as one self-contained HTML page: inline CSS, inline SVG charts, a tiny inline
sorting script and the backlinks explorer's (``explorer``), and a Content-Security-Policy that
forbids every fetch, so the file opens from disk with no network and cannot make a request."""

from __future__ import annotations

import html
from typing import Any

from linkspider.htmlreport import charts
from linkspider.htmlreport.explorer import EXPLORER_CSS, explorer_script, explorer_section, quality_section
from linkspider.htmlreport.tables import Column, table_html

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1e293b;margin:0;background:#f8fafc}
header{background:#0f172a;color:#f8fafc;padding:24px 32px}header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;color:#cbd5e1}main{max-width:1180px;margin:0 auto;padding:8px 24px 48px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;margin:20px 0;padding:16px 20px}
h2{font-size:18px;margin:0 0 10px}h3{font-size:15px;margin:16px 0 6px}
nav{display:flex;flex-wrap:wrap;gap:6px 14px;margin:12px 0 0}nav a{color:#93c5fd;text-decoration:none}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:12px}
.tile{border:1px solid #e2e8f0;border-radius:6px;padding:10px 12px}.tile .value{font-size:24px;font-weight:600;display:block}
.tile .label{color:#64748b;font-size:12px}.row{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}
figure.chart{margin:0}figure.chart svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:13px;margin:6px 0;min-width:50%}caption{text-align:left;color:#64748b;padding:2px 0}
th{background:#f1f5f9;text-align:left;padding:5px 8px;cursor:pointer;white-space:nowrap;user-select:none}
th[data-dir=asc]::after{content:" ▲"}th[data-dir=desc]::after{content:" ▼"}
td{border-top:1px solid #e2e8f0;padding:4px 8px;vertical-align:top}td[data-v]:not([data-col$=url]){font-variant-numeric:tabular-nums}
.url{word-break:break-all;font-family:ui-monospace,Menlo,monospace;font-size:12px}
.flag{display:inline-block;background:#fee2e2;color:#991b1b;border-radius:4px;padding:0 5px;margin:1px;cursor:help}
.hint{background:#fef9c3;border:1px solid #fde68a;border-radius:6px;padding:8px 12px;margin:6px 0}
.hint code,p code{background:#f1f5f9;padding:1px 4px;border-radius:3px}.empty{color:#64748b}
footer{color:#64748b;font-size:12px;text-align:center;padding:12px}
"""

SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, i) {
    th.addEventListener("click", function () {
      var dir = th.dataset.dir === "desc" ? "asc" : "desc", body = table.tBodies[0];
      table.querySelectorAll("th").forEach(function (h) { delete h.dataset.dir; });
      th.dataset.dir = dir;
      var text = th.dataset.kind === "text" || th.dataset.kind === "url" || th.dataset.kind === "urls";
      var rows = Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = a.cells[i].dataset.v, y = b.cells[i].dataset.v;
        var c = text ? x.localeCompare(y) : parseFloat(x) - parseFloat(y);
        return dir === "asc" ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _hint(text: str) -> str:
    # the hint names a command in backticks: shown as code
    parts = _esc(text).split("`")
    return '<p class="hint">' + "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)) + "</p>"


def _chart(name: str, spec: dict[str, Any]) -> str:
    return f'<figure class="chart" data-chart="{name}">{charts.render_svg(spec)}</figure>'


def _tile(key: str, value: Any, label: str, kind: str = "int") -> str:
    if value is None:
        shown = "–"
    elif kind == "share":
        shown = f"{value * 100:.1f}%"
    else:
        shown = f"{value:,}"
    raw = "" if value is None else value
    return (f'<div class="tile" data-figure="{key}" data-value="{raw}"><span class="value">{shown}</span>'
            f'<span class="label">{_esc(label)}</span></div>')  # fmt: skip


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{_esc(title)}</h2>{body}</section>'


def overview_section(f: dict[str, Any]) -> str:
    o = f["overview"]
    tiles = [("pages", "pages fetched"), ("pages_ok", "pages answering 2xx"), ("links", "links on those pages"),
             ("backlinks", "backlinks (external a/area/image)"), ("referring_domains", "referring domains"),
             ("linking_pages", "linking pages"), ("target_domains", "domains linked to"),
             ("followed_backlinks", "followed backlinks")]  # fmt: skip
    body = "".join(_tile(k, o[k], label) for k, label in tiles)
    body += _tile("followed_share", o["followed_share"], "followed share", "share")
    return _section("overview", "Overview", f'<div class="tiles">{body}</div>')


def follow_section(f: dict[str, Any]) -> str:
    reasons = f["follow"]["reasons"]
    total = sum(r["backlinks"] for r in reasons)
    rows = [dict(r, share=r["backlinks"] / total if total else None) for r in reasons]
    rel = f["follow"]["rel"]
    flags = ", ".join(f"{k} {rel[k]:,}" for k in ("nofollow", "ugc", "sponsored"))
    body = '<div class="row">'
    if rows:
        body += _chart("follow", charts.bar_chart(rows, "reason", "backlinks", "Backlinks by follow reason",
                                                  "follow reason", "backlinks"))  # fmt: skip
    body += "<div>" + table_html("follow", [Column("reason", "follow reason"), Column("backlinks", "backlinks", "int"),
                                            Column("share", "share", "share")], rows)  # fmt: skip
    body += f"</div></div><p>rel tokens on backlinks (a link may carry several): {_esc(flags)}.</p>"
    return _section("follow", "Follow, nofollow, ugc, sponsored", body)


def anchors_section(f: dict[str, Any]) -> str:
    a = f["anchors"]
    if not a["available"]:
        return _section("anchors", "Anchor text", _hint(a["hint"]))
    body = '<div class="row">'
    if a["classes"]:
        body += _chart("anchors", charts.bar_chart(a["classes"], "anchor_class", "backlinks", "Backlinks by anchor class",
                                                   "anchor class", "backlinks"))  # fmt: skip
    body += "<div>" + table_html("anchor_classes", [Column("anchor_class", "class"), Column("backlinks", "backlinks", "int")],
                                 a["classes"]) + "</div></div>"  # fmt: skip
    body += "<h3>Top anchors</h3>" + table_html("anchors", [
        Column("anchor_text", "anchor text"), Column("anchor_class", "class"),
        Column("backlinks", "backlinks", "int"), Column("referring_domains", "referring domains", "int")],
        a["top"], a["total"])  # fmt: skip
    return _section("anchors", "Anchor text", body)


def regions_section(f: dict[str, Any]) -> str:
    rows = f["regions"]
    stacked = [{"region": r["region"], "links": "followed", "backlinks": r["followed"]} for r in rows] + [
        {"region": r["region"], "links": "not followed", "backlinks": r["backlinks"] - r["followed"]} for r in rows]
    body = '<div class="row">'
    if rows:
        body += _chart("regions", charts.stacked_bar_chart(stacked, "region", "links", "backlinks",
                                                           "Backlinks by page region", ["followed", "not followed"]))  # fmt: skip
    body += "<div>" + table_html("regions", [Column("region", "region"), Column("backlinks", "backlinks", "int"),
                                             Column("followed", "followed", "int")], rows) + "</div></div>"  # fmt: skip
    return _section("regions", "Where the links sit", body)


def referring_domains_section(f: dict[str, Any]) -> str:
    s = f["referring_domains"]
    columns = [Column("referring_domain", "referring domain"), Column("backlinks", "backlinks", "int"),
               Column("followed_backlinks", "followed", "int"), Column("linking_pages", "linking pages", "int"),
               Column("target_pages", "pages linked", "int")]  # fmt: skip
    if s["ranked"]:
        columns += [Column("rank", "rank", "int"), Column("authority", "authority", "score")]
    if s["flagged"]:
        columns.append(Column("flags", "spam flags (hover: signal value)", "flags"))
    body = (_hint(s["hint"]) if "hint" in s else "") + table_html("referring_domains", columns, s["rows"], s["total"])
    return _section("referring-domains", "Top referring domains", body)


def linked_pages_section(f: dict[str, Any]) -> str:
    s = f["linked_pages"]
    body = table_html("linked_pages", [
        Column("target_url", "page linked to", "url"), Column("referring_domains", "referring domains", "int"),
        Column("backlinks", "backlinks", "int"), Column("followed_backlinks", "followed", "int")], s["rows"], s["total"])  # fmt: skip
    return _section("linked-pages", "Top linked pages", body)


def link_scores_section(f: dict[str, Any]) -> str:
    s = f["link_scores"]
    if not s["available"]:
        return _section("link-scores", "Internal link score", _hint(s["hint"]))
    body = '<div class="row">' + _chart("link_scores", charts.histogram_chart(s["bins"], "Pages by internal link score"))
    body += "<div>" + table_html("link_score_bins", [Column("bin_start", "from", "int"), Column("bin_end", "to", "int"),
                                                     Column("pages", "pages", "int")], s["bins"]) + "</div></div>"  # fmt: skip
    body += "<h3>Strongest pages</h3>" + table_html("link_scores", [
        Column("url", "page", "url"), Column("site", "site"), Column("link_score", "link score", "score"),
        Column("inlinks", "followed internal inlinks", "int")], s["top"], s["total"])  # fmt: skip
    return _section("link-scores", "Internal link score", body)


def broken_section(f: dict[str, Any]) -> str:
    internal = f["broken_internal"]
    body = "<h3>Broken internal links</h3><p>Links within a site to URLs the crawl found 4xx, 5xx or unreachable.</p>"
    body += table_html("broken_internal", [
        Column("url", "broken URL", "url"), Column("status", "status", "status"), Column("error", "error"),
        Column("linking_pages", "linking pages", "int"), Column("links", "links", "int"),
        Column("sources", "linked from (first pages)", "urls")], internal["rows"], internal["total"])  # fmt: skip
    t = f["targets"]
    body += "<h3>Broken external targets</h3>"
    if not t["available"]:
        return _section("broken", "Broken links", body + _hint(t["hint"]))
    outcomes = [{"outcome": k, "targets": v} for k, v in t["outcomes"].items()]
    body += '<div class="row">'
    if outcomes:
        body += _chart("targets", charts.bar_chart(outcomes, "outcome", "targets", "External targets by outcome",
                                                   "outcome", "targets", charts.OUTCOME_COLORS))  # fmt: skip
    body += "<div>" + table_html("target_outcomes", [Column("outcome", "outcome"), Column("targets", "targets", "int")],
                                 outcomes) + "</div></div>"  # fmt: skip
    body += "<p>Pages on other sites linking to dead URLs: broken-link-building prospects.</p>"
    body += table_html("broken_external", [
        Column("url", "broken target", "url"), Column("status", "status", "status"), Column("error", "error"),
        Column("referring_domains", "referring domains", "int"), Column("linking_pages", "linking pages", "int"),
        Column("sources", "linked from (first pages)", "urls")], t["broken"]["rows"], t["broken"]["total"])  # fmt: skip
    body += "<h3>Redirected external targets</h3>" + table_html("redirected_external", [
        Column("url", "target", "url"), Column("final_url", "ends at", "url"), Column("hops", "redirects", "int"),
        Column("status", "final status", "status"), Column("linking_pages", "linking pages", "int")],
        t["redirected"]["rows"], t["redirected"]["total"])  # fmt: skip
    return _section("broken", "Broken links", body)


def history_section(f: dict[str, Any]) -> str:
    h = f["history"]
    if not h["available"]:
        return _section("history", "History", _hint(h["hint"]))
    runs = h["runs"]
    body = '<div class="row">'
    body += _chart("history_domains", charts.line_chart(runs, "run_id", {"referring_domains": "referring domains"},
                                                        "Referring domains over runs"))  # fmt: skip
    body += _chart("history_links", charts.line_chart(runs, "run_id", {"backlinks": "backlinks"}, "Backlinks over runs"))
    body += _chart("history_changes", charts.grouped_bar_chart(runs, "run_id", ["new", "lost"], "New and lost links per run"))
    body += "</div>" + table_html("history_runs", [
        Column("run_id", "run"), Column("backlinks", "backlinks", "int"), Column("referring_domains", "referring domains", "int"),
        Column("new", "new", "int"), Column("lost", "lost", "int"), Column("changed", "changed", "int"),
        Column("restored", "restored", "int")], runs)  # fmt: skip
    latest, totals = h["latest_run"], h["latest_totals"]
    body += (f"<h3>Latest run {_esc(latest)}: {totals['new']:,} new, {totals['lost']:,} lost</h3>"
             + table_html("lost_reasons", [Column("reason", "lost because"), Column("links", "links", "int")],
                          h["lost_reasons"]))  # fmt: skip
    body += table_html("latest_changes", [
        Column("change", "change"), Column("reason", "reason"), Column("referring_domain", "referring domain"),
        Column("source_url", "linking page", "url"), Column("target_url", "target", "url"),
        Column("anchor_text_after", "anchor now"), Column("anchor_text_before", "anchor before")],
        h["latest"], totals["new"] + totals["lost"])  # fmt: skip
    return _section("history", "History: new and lost links", body)


def hreflang_section(f: dict[str, Any]) -> str:
    h = f["hreflang_no_return"]
    body = ("<p>Pages naming an hreflang version that does not name them back (search engines then "
            "ignore the pair).</p>" + table_html("hreflang_no_return", [
                Column("page", "page", "url"), Column("hreflang", "hreflang"),
                Column("alternate", "names as its version", "url"),
                Column("alternate_status", "its status", "status")], h["rows"], h["total"]))  # fmt: skip
    return _section("hreflang", "Hreflang without return links", body)


SECTIONS = (overview_section, follow_section, anchors_section, regions_section, referring_domains_section,
            linked_pages_section, quality_section, explorer_section, link_scores_section, broken_section,
            hreflang_section, history_section)  # fmt: skip
NAV = (("overview", "Overview"), ("follow", "Follow split"), ("anchors", "Anchors"), ("regions", "Regions"),
       ("referring-domains", "Referring domains"), ("linked-pages", "Linked pages"),
       ("backlink-quality", "Relevance and equity"), ("explorer", "Backlinks explorer"), ("link-scores", "Link score"), ("broken", "Broken links"), ("hreflang", "Hreflang"),
       ("history", "History"))  # fmt: skip


def render_page(f: dict[str, Any]) -> str:
    """Return the whole report page for the figures ``f``."""
    subject = f["domain"] or "every domain in the dataset"
    nav = "".join(f'<a href="#{a}">{_esc(t)}</a>' for a, t in NAV)
    body = "".join(section(f) for section in SECTIONS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backlink report: {_esc(subject)} (run {_esc(f['run_id'])})</title>
<style>{CSS}{EXPLORER_CSS}</style></head>
<body><header><h1>Backlink report: {_esc(subject)}</h1>
<p>run <b>{_esc(f['run_id'])}</b> of <span class="url">{_esc(f['dataset'])}</span> · generated {_esc(f['generated_at'])}
· tables read: {_esc(', '.join(f['tables']))}</p><nav>{nav}</nav></header>
<main>{body}</main>
<footer>linkspider report · every figure is a DuckDB aggregate of the dataset's Parquet files; the same numbers: <code>linkspider report --json</code></footer>
<script>{SORT_JS}</script><script>{explorer_script()}</script></body></html>
"""
