"""HTML tables of the report: sortable (a click on a header, by the inline script), capped at
the report's limit with the total shown, each cell carrying its raw value (``data-v``)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    """One column: the row key, its header, and how its values are shown."""

    key: str
    title: str
    kind: str = "text"  # text | int | share | score | ratio | equity | url | urls | terms | flags | status


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def format_value(value: Any, kind: str) -> str:
    """Return the cell's HTML for ``value`` shown as ``kind``.

    >>> format_value(12345, "int"), format_value(0.256, "share"), format_value(None, "int")
    ('12,345', '25.6%', '–')
    >>> format_value(0.000698794, "equity"), format_value(0.75299, "ratio"), format_value(["a", "b"], "terms")
    ('0.000699', '0.753', 'a, b')
    """
    if value is None or value == []:
        return "–"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "score":
        return f"{value:.1f}"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "equity":
        return f"{value:.3g}"
    if kind == "terms":
        return _esc(", ".join(value))
    if kind == "url":
        return f'<span class="url">{_esc(value)}</span>'
    if kind == "urls":
        return "<br>".join(f'<span class="url">{_esc(v)}</span>' for v in value)
    return _esc(value)


def _sort_value(value: Any, kind: str) -> str:
    if value is None:
        return "-1" if kind in ("int", "share", "score", "ratio", "equity", "status") else ""
    if isinstance(value, list):
        return str(len(value))
    return str(value)


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else _esc(value)


def flags_cell(flags: list[str], reasons: dict[str, Any]) -> str:
    """Return the spam flags of a domain, each with its signal's value (and the Tukey fence it
    passed, when known) on hover and in small text."""
    if not flags:
        return "–"
    parts = []
    for flag in flags:
        reason = reasons.get(flag) or {}
        value, fence = reason.get("value"), reason.get("fence")
        beyond = f"beyond the Tukey fence {_number(fence)}" if fence is not None else "beyond the Tukey fence"
        parts.append(f'<span class="flag" title="{_esc(flag)} = {_number(value)}, {beyond}">'
                     f"{_esc(flag)} <small>{_number(value)}</small></span>")  # fmt: skip
    return " ".join(parts)


def table_html(name: str, columns: list[Column], rows: list[dict[str, Any]], total: int | None = None,
               note: str = "") -> str:  # fmt: skip
    """Return a sortable table of ``rows``; when ``total`` exceeds the rows shown, say so."""
    if not rows:
        return f'<p class="empty" data-table="{_esc(name)}" data-total="0">None found.</p>'
    head = "".join(f'<th data-kind="{c.kind}" title="sort">{_esc(c.title)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c.key)
            shown = flags_cell(value or [], row.get("flag_reasons") or {}) if c.kind == "flags" else format_value(value, c.kind)
            cells.append(f'<td data-col="{_esc(c.key)}" data-v="{_esc(_sort_value(value, c.kind))}">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    total = len(rows) if total is None else total
    caption = f"{len(rows):,} of {total:,} shown" if total > len(rows) else f"{total:,} in all"
    return (f'<table class="sortable" data-table="{_esc(name)}" data-total="{total}">'
            f'<caption>{caption}{(" · " + note) if note else ""}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")  # fmt: skip
