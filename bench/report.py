"""Turn the benchmark's raw results into the tables printed and written to ``RESULTS.md``.

Every figure of a contender is the median over the rounds; linkspider's ratios are the
medians of the per-round ratios (each round's contenders ran back to back, alternating order).
"""

from __future__ import annotations

import statistics
from typing import Any

GOALS = {
    "ceiling": 0.60,      # linkspider pages/s over the no-op Scrapy spider's
    "advertools": 25.0,   # linkspider pages/s over advertools'
    "pipeline_links_per_s": 50_000,
    "rss_growth_mb": 100,
}
LABELS = {
    "noop": "Scrapy no-op spider (ceiling)",
    "linkextractor": "Scrapy LinkExtractor spider, item per link (JSON lines)",
    "advertools": "advertools crawl (JSON lines)",
    "linkspider": "linkspider crawl (full pipeline, Parquet)",
}


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def contender_medians(runs: list[dict]) -> dict[str, dict[str, float | None]]:
    """Return each contender's median metrics over the rounds."""
    names = [n for n in LABELS if any(r["contender"] == n for r in runs)]
    keys = ("pages", "pages_per_s", "links_per_s", "cpu_per_1000_pages", "peak_rss_mb",
            "bytes_per_link", "links_per_page")  # fmt: skip
    return {
        name: {k: _median([r.get(k) for r in runs if r["contender"] == name]) for k in keys}
        for name in names
    }


def ratios(runs: list[dict]) -> dict[str, dict[str, Any]]:
    """Return linkspider's per-round pages/s ratios to the ceiling and to advertools."""
    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["contender"]] = run.get("pages_per_s")
    result = {}
    for other in ("noop", "advertools", "linkextractor"):
        values = [
            r["linkspider"] / r[other] for r in by_round.values()
            if r.get("linkspider") and r.get(other)
        ]  # fmt: skip
        result[other] = {"per_round": values, "median": _median(values)}
    return result


def target_table(target: dict) -> list[str]:
    """Return the Markdown lines of one target's table and ratios."""
    runs = target["runs"]
    medians = contender_medians(runs)
    lines = [
        "| contender | pages/s | links/s | CPU s / 1000 pages | peak RSS MB | output bytes / link | links / page |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in medians.items():
        lines.append(
            f"| {LABELS[name]} | {_fmt(m['pages_per_s'])} | {_fmt(m['links_per_s'], 0)} | "
            f"{_fmt(m['cpu_per_1000_pages'], 2)} | {_fmt(m['peak_rss_mb'], 0)} | "
            f"{_fmt(m['bytes_per_link'], 1)} | {_fmt(m['links_per_page'], 1)} |"
        )
    r = ratios(runs)
    lines.append("")
    for other, goal in (("noop", GOALS["ceiling"]), ("advertools", GOALS["advertools"])):
        median = r[other]["median"]
        rounds = ", ".join(f"{v:.2f}" for v in r[other]["per_round"])
        verdict = "-" if median is None else ("met" if median >= goal else f"missed by {goal / median:.1f}x")
        lines.append(
            f"- linkspider / {LABELS[other].split(' (')[0]}: **{_fmt(median, 2)}** "
            f"(rounds: {rounds}; goal >= {goal:g}: {verdict})"
        )
    if r["linkextractor"]["median"] is not None:
        lines.append(f"- linkspider / LinkExtractor spider: {_fmt(r['linkextractor']['median'], 2)}")
    return lines


def pipeline_lines(pipeline: dict) -> list[str]:
    lines = [
        "| target | pages | links | links/s (median of passes) | links/s (best pass) | pages/s (best) | parse_page s | normalize s | dedupe s | Parquet s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, result in pipeline.items():
        best = result["best"]
        stages = list(best["stage_seconds"].values())
        lines.append(
            f"| {name} | {best['pages']} | {best['links']:,} | **{result['median_links_per_s']:,.0f}** | "
            f"{best['links_per_s']:,.0f} | {best['pages_per_s']:.0f} | {stages[0]:.2f} | {stages[2]:.2f} | "
            f"{stages[1]:.3f} | {stages[3]:.2f} |"
        )
    worst = min((r["median_links_per_s"] for r in pipeline.values()), default=None)
    if worst is not None:
        goal = GOALS["pipeline_links_per_s"]
        verdict = "met" if worst >= goal else f"missed by {goal / worst:.2f}x"
        lines += ["", f"- goal >= {goal:,} normalized links/s on one core: {verdict} (lowest target: {worst:,.0f}, "
                  "median of the passes; stage times are the best pass's)"]
    return lines


def scale_lines(scale: dict) -> list[str]:
    marks = scale["rss_marks"]
    lines = [
        f"linkspider crawl of {scale['description']}: {scale['pages']:,} pages, "
        f"{scale['links']:,} links in {scale['elapsed_s']:.0f} s "
        f"({scale['links'] / scale['elapsed_s']:,.0f} links/s, {scale['pages'] / scale['elapsed_s']:.0f} pages/s), "
        f"{scale['output_bytes'] / 1e6:.1f} MB of Parquet ({scale['output_bytes'] / max(scale['links'], 1):.1f} bytes/link).",
        "",
        "| mark (by links normalized) | links | peak RSS so far, MB |",
        "|---|---:|---:|",
    ]
    for mark in marks:
        lines.append(f"| {mark['percent']}% | {mark['links']:,} | {mark['peak_rss_mb']:.0f} |")
    growth = scale["rss_growth_mb"]
    verdict = "met" if growth < GOALS["rss_growth_mb"] else f"missed by {growth - GOALS['rss_growth_mb']:.0f} MB"
    lines += ["", f"- peak RSS growth from the 10% mark to the end: **{growth:.0f} MB** "
              f"(goal < {GOALS['rss_growth_mb']} MB: {verdict})"]  # fmt: skip
    return lines


def query_lines(queries: dict) -> list[str]:
    lines = [
        f"DuckDB {queries.get('duckdb_version', '')} on the scale run's dataset ({queries['links']:,} links); "
        f"target domain of the anchor query: `{queries['target']}`; first run (cold) and median of the next {queries['repeats']}.",
        "",
        "| query | first run ms | median ms | SQL |",
        "|---|---:|---:|---|",
    ]
    for name, q in queries["queries"].items():
        lines.append(f"| {name} | {q['first_s'] * 1000:.0f} | {q['median_s'] * 1000:.0f} | `{q['sql']}` |")
    return lines


def profile_lines(profile: dict) -> list[str]:
    lines = [f"py-spy, {profile['samples']} samples at 250 Hz of one `linkspider crawl` of the target "
             "(start-up included).", "", "| where | share of samples |", "|---|---:|"]  # fmt: skip
    for stage, share in profile["stages"].items():
        lines.append(f"| {stage} | {share * 100:.1f}% |")
    lines += ["", "Top functions by self time:", "", "| function | self |", "|---|---:|"]
    for name, share in profile["top_self"][:12]:
        lines.append(f"| `{name}` | {share * 100:.1f}% |")
    return lines


def render(results: dict) -> str:
    """Return the whole ``RESULTS.md`` text."""
    out = [
        "# linkspider benchmark results",
        "",
        f"- date: {results['date']}",
        f"- machine: {results['cores']} cores, {results['memory_gb']:.0f} GB RAM, {results['platform']}",
        f"- command: `{results['command']}`",
        f"- rounds: {results['rounds']} (contender order alternates each round), concurrency "
        f"{results['concurrency']} in total and per host for every contender, no throttling, robots.txt obeyed, "
        "INFO logging; every contender fetches the same URL list (no link following).",
        "",
    ]
    for name, target in results["targets"].items():
        out += [f"## Target: {name}", "", target["description"], ""]
        out += target_table(target)
        out.append("")
    if results.get("pipeline"):
        out += ["## linkspider's per-page work on one core (in-process, no network)", ""]
        out += pipeline_lines(results["pipeline"])
        out.append("")
    if results.get("scale"):
        out += ["## Scale run", ""] + scale_lines(results["scale"]) + [""]
    if results.get("queries"):
        out += ["## Analyst queries", ""] + query_lines(results["queries"]) + [""]
    for name, profile in (results.get("profile") or {}).items():
        out += [f"## Profile: linkspider crawl of {name}", ""] + profile_lines(profile) + [""]
    if results.get("notes"):
        out += ["## Notes", ""] + results["notes"] + [""]
    return "\n".join(out)
