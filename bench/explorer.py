"""Bench: the HTML report's backlinks explorer with many rows, in headless Chromium.

Builds N synthetic backlinks (300 referring domains, 20 pages each linking several targets,
anchors, terms, relevance and equity drawn from a seeded generator), renders the explorer
section (``linkspider.htmlreport.explorer``) in a page with the report's CSP, CSS and script,
opens it offline in Debian's chromium (``tests.browser``) and prints a table: the page's size,
the time from navigation to the load event (parse, decode, first render), and in the page the
time to filter by one referring domain, to sort by equity and to clear the filters.

    nice .venv/bin/python -m bench.explorer [--rows 1000 10000 50000 100000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path
from typing import Any

from linkspider.htmlreport.explorer import EXPLORER_CSS, explorer_script, explorer_section
from linkspider.htmlreport.page import CSP, CSS

WORDS = ("garden", "tomato", "python", "release", "recipe", "travel", "tokyo", "bicycle", "repair", "museum",
         "football", "camera", "lens", "bakery", "violin", "hiking", "weather", "library", "chess", "coffee")  # fmt: skip
REASONS = ("followed",) * 6 + ("rel_nofollow", "rel_ugc", "rel_sponsored", "meta_robots")
REGIONS = ("main",) * 4 + ("body", "aside", "footer", "nav", "header")


def synthetic_backlinks(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Return ``n`` backlink rows shaped like ``report --json``'s ``backlinks.rows``."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        domain = f"site-{i % 300}.example"
        relevance = None if rng.random() < 0.3 else rng.random() ** 2
        reason = rng.choice(REASONS)
        rows.append({
            "referring_domain": domain, "source_url": f"http://www.{domain}/page-{(i // 300) % 20}.html",
            "target_url": f"http://target.example/page-{rng.randrange(50)}.html", "position": i % 40,
            "anchor_text": " ".join(rng.sample(WORDS, rng.randrange(1, 4))),
            "follow": reason == "followed", "follow_reason": reason, "region": rng.choice(REGIONS),
            "relevance": relevance, "relevance_terms": rng.sample(WORDS, 3) if relevance else [],
            "relevance_basis": rng.choice(("target_page", "target_site")) if relevance is not None else None,
            "site_relevance": rng.random(), "equity": 10 ** rng.uniform(-7, -3) if reason == "followed" else 0.0,
            "source_language": rng.choice(("en", "en", "en", "de", "ja")), "target_language": "en",
        })  # fmt: skip
    return rows


def explorer_page(rows: list[dict[str, Any]]) -> str:
    """Return a page holding only the explorer over ``rows`` (the report's CSP, CSS and script)."""
    figures = {"backlinks": {"scored": True, "total": len(rows), "rows": rows}}
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
            f'content="{CSP}"><style>{CSS}{EXPLORER_CSS}</style></head><body><main>{explorer_section(figures)}'
            f"</main><script>{explorer_script()}</script></body></html>")  # fmt: skip


TIMINGS = """(() => {
    const root = document.getElementById('backlinks-explorer'), t = performance.timing;
    const load = t.loadEventEnd - t.navigationStart;
    let s = performance.now();
    const f = root.querySelector('[data-filter=referring_domain]');
    f.value = 'site-7.example'; f.dispatchEvent(new Event('change'));
    const filter = performance.now() - s, matched = +root.dataset.matched;
    s = performance.now(); root.querySelector('[data-action=clear]').click(); const clear = performance.now() - s;
    s = performance.now(); root.querySelector('th[data-key=equity]').click(); const sort = performance.now() - s;
    return {load, filter, clear, sort, matched, shown: root.querySelectorAll('tbody tr').length};
})()"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000, 50000, 100000])
    args = parser.parse_args()
    from tests.browser import Browser, ensure_chromium

    print(f"{'rows':>8} {'page kB':>9} {'load ms':>8} {'filter ms':>10} {'clear ms':>9} {'sort ms':>8} {'matched':>8}")
    with tempfile.TemporaryDirectory() as tmp, Browser(ensure_chromium()) as browser:
        for n in args.rows:
            path = Path(tmp) / f"explorer-{n}.html"
            path.write_text(explorer_page(synthetic_backlinks(n)), encoding="utf-8")
            tab = browser.open_offline(path)
            assert set(tab.requests()) == {path.resolve().as_uri()}, tab.requests()
            t = tab.evaluate(TIMINGS)
            print(f"{n:>8,} {path.stat().st_size / 1000:>9,.0f} {t['load']:>8.0f} {t['filter']:>10.1f} "
                  f"{t['clear']:>9.1f} {t['sort']:>8.1f} {t['matched']:>8,}")  # fmt: skip


if __name__ == "__main__":
    main()
