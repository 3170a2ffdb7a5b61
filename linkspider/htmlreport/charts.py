"""The report's charts: Vega-Lite specs of the figures, rendered to SVG offline by vl-convert
(a bundled Vega engine: no browser, no network), inlined in the HTML."""

from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier: never fetched
PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#64748b"]
CONFIG = {"font": "sans-serif", "view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 11},
          "legend": {"labelFontSize": 11, "titleFontSize": 11}}  # fmt: skip


def _spec(title: str, body: dict[str, Any], width: int = 420) -> dict[str, Any]:
    return {"$schema": SCHEMA, "title": title, "width": width, "config": CONFIG, "background": "white", **body}


OUTCOME_COLORS = {"ok": "#16a34a", "redirected": "#f97316", "broken": "#dc2626", "blocked": "#64748b"}


def bar_chart(rows: list[dict[str, Any]], category: str, value: str, title: str,
              category_title: str | None = None, value_title: str | None = None,
              colors: dict[str, str] | None = None, value_format: str = ",") -> dict[str, Any]:  # fmt: skip
    """Return a horizontal bar chart of ``value`` by ``category``, largest first, labelled
    (``colors``: a colour per category value; else the palette; ``value_format``: d3-format
    of the labels)."""
    scale = {"domain": list(colors), "range": list(colors.values())} if colors else {"range": PALETTE}
    y = {"field": category, "type": "nominal", "sort": "-x", "title": category_title or category}
    x = {"field": value, "type": "quantitative", "title": value_title or value}
    return _spec(title, {
        "data": {"values": rows}, "height": {"step": 22},
        "layer": [
            {"mark": {"type": "bar"}, "encoding": {
                "y": y, "x": x, "color": {"field": category, "type": "nominal", "legend": None, "scale": scale}}},
            {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 11},
             "encoding": {"y": y, "x": x, "text": {"field": value, "type": "quantitative", "format": value_format}}},
        ],
    })  # fmt: skip


def stacked_bar_chart(rows: list[dict[str, Any]], category: str, series: str, value: str, title: str,
                      order: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Return horizontal bars of ``value`` by ``category``, stacked by ``series``."""
    return _spec(title, {
        "data": {"values": rows}, "height": {"step": 22}, "mark": "bar",
        "encoding": {
            "y": {"field": category, "type": "nominal", "sort": "-x", "title": category},
            "x": {"field": value, "type": "quantitative", "title": value, "stack": "zero"},
            "color": {"field": series, "type": "nominal", "title": None,
                      "scale": {"domain": order, "range": PALETTE} if order else {"range": PALETTE}},
        },
    })  # fmt: skip


def histogram_chart(bins: list[dict[str, Any]], title: str, x_title: str = "link score", count: str = "pages",
                    extent: tuple[float, float] = (0, 100), step: float = 10) -> dict[str, Any]:  # fmt: skip
    """Return a histogram of pre-binned counts (``bin_start``, ``bin_end``, ``count``) over
    ``extent`` in bins of ``step``."""
    return _spec(title, {
        "data": {"values": bins}, "height": 180, "mark": {"type": "bar", "color": PALETTE[0]},
        "encoding": {
            "x": {"field": "bin_start", "bin": {"binned": True, "step": step}, "type": "quantitative",
                  "title": x_title, "scale": {"domain": list(extent)}},
            "x2": {"field": "bin_end"},
            "y": {"field": count, "type": "quantitative", "title": count},
        },
    })  # fmt: skip


def column_chart(rows: list[dict[str, Any]], category: str, value: str, title: str,
                 category_title: str | None = None, value_title: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Return vertical bars of ``value`` by ``category`` in the rows' order (ordered bins)."""
    return _spec(title, {
        "data": {"values": rows}, "height": 180, "mark": {"type": "bar", "color": PALETTE[0]},
        "encoding": {
            "x": {"field": category, "type": "ordinal", "sort": None, "title": category_title or category,
                  "axis": {"labelAngle": 0}},
            "y": {"field": value, "type": "quantitative", "title": value_title or value},
        },
    })  # fmt: skip


def line_chart(rows: list[dict[str, Any]], x: str, series: dict[str, str], title: str) -> dict[str, Any]:
    """Return one line per column in ``series`` (column -> label) over ordinal ``x``."""
    return _spec(title, {
        "data": {"values": rows}, "height": 180,
        "transform": [{"fold": list(series), "as": ["measure", "value"]},
                      {"calculate": " || ".join(f"(datum.measure == '{k}' ? '{v}' : '')" for k, v in series.items()),
                       "as": "series"}],
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": x, "type": "ordinal", "title": "run", "sort": None},
            "y": {"field": "value", "type": "quantitative", "title": None},
            "color": {"field": "series", "type": "nominal", "title": None, "scale": {"range": PALETTE}},
        },
    })  # fmt: skip


def grouped_bar_chart(rows: list[dict[str, Any]], x: str, series: list[str], title: str) -> dict[str, Any]:
    """Return bars of several columns side by side per ``x`` (e.g. new and lost per run)."""
    return _spec(title, {
        "data": {"values": rows}, "height": 180,
        "transform": [{"fold": series, "as": ["change", "links"]}],
        "mark": "bar",
        "encoding": {
            "x": {"field": x, "type": "ordinal", "title": "run", "sort": None},
            "xOffset": {"field": "change", "sort": series},
            "y": {"field": "links", "type": "quantitative", "title": "links"},
            "color": {"field": "change", "type": "nominal", "title": None, "sort": series,
                      "scale": {"domain": series, "range": [PALETTE[2], PALETTE[3], PALETTE[6], PALETTE[0]]}},
        },
    })  # fmt: skip


def render_svg(spec: dict[str, Any]) -> str:
    """Return the chart as an SVG document (vl-convert, offline)."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec)
    return svg[svg.index("<svg"):] if "<svg" in svg else svg
