"""Bench: ``linkspider report --html/--json`` on the scale crawl (~1.2M links), time and size.

The dataset is the benchmark's scale crawl (``bench/run.py``: a generated world of 300 sites x
70 pages, 10 external links per page, crawled by ``linkspider crawl`` following links), here
with link rot on (``WorldConfig(link_rot=True)``) and ``--check-targets``, then analyzed by
``linkspider analyze`` when it exists; with ``--history`` a second crawl (epoch 1 of the
world) gives the report its history section. Each command runs in its own process; wall time
and peak RSS are printed as a table, with the plain-text ``linkspider report`` (the baseline)
on the same dataset, and the HTML and JSON sizes.

    nice .venv/bin/python -m bench.htmlreport [--dir DIR] [--sites 300] [--pages 70] [--external 10] [--history]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.history import measure

LINKSPIDER = [sys.executable, "-m", "linkspider"]


def crawl(root: Path, run_id: str, sites: int, pages: int, external: int, epoch: int) -> float:
    """Crawl the world (epoch ``epoch``) into ``root`` with its targets checked; return seconds."""
    from linkspider.web.server import LocalWebProcess
    from linkspider.web.world import World, WorldConfig

    world = World(WorldConfig(sites=sites, pages_per_site=pages, external_links_per_page=external,
                              link_rot=True, epoch=epoch))  # fmt: skip
    seeds = root.parent / f"{root.name}-seeds.txt"
    seeds.write_text("\n".join(world.seeds()) + "\n", encoding="utf-8")
    started = time.monotonic()
    web = LocalWebProcess(world).start(timeout=900)  # an evolved 21,000-page world takes minutes to build
    try:
        wall, _, _ = measure([*LINKSPIDER, "crawl", "--seeds-file", str(seeds), "--out", str(root), "--run-id", run_id,
                              "--proxy", web.proxy_url, "--allow-private-addresses", "--no-throttle",
                              "--concurrency", "16", "--max-depth", "1000", "--max-pages-per-site", "0",
                              "--quiet", "--log-level", "ERROR", "--check-targets"])  # fmt: skip
    finally:
        web.stop()
    print(f"crawled {run_id} in {wall:.0f} s", flush=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="dataset directory (default: a temporary one; reused when it holds runs)")
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--pages", type=int, default=70)
    parser.add_argument("--external", type=int, default=10)
    parser.add_argument("--history", action="store_true", help="crawl epoch 1 too (history section)")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="linkspider-htmlreport-bench-"))
    runs = ["scale-e0", "scale-e1"] if args.history else ["scale-e0"]
    for epoch, run_id in enumerate(runs):
        if not list(root.glob(f"pages/*/run={run_id}")):
            crawl(root, run_id, args.sites, args.pages, args.external, epoch)
    run_id = runs[-1]
    rows = []
    if importlib.util.find_spec("linkspider.analysis") is not None:
        rows.append(("linkspider analyze (not the report; for its sections)",
                     *measure([*LINKSPIDER, "analyze", "--out", str(root), "--run", run_id, "--quiet"])[:2]))
    rows.append(("linkspider report (plain text, baseline)", *measure([*LINKSPIDER, "report", "--out", str(root),
                                                                         "--run", run_id])[:2]))  # fmt: skip
    html, figures = root / "report.html", root / "report.json"
    rows.append(("linkspider report --json", *measure([*LINKSPIDER, "report", "--out", str(root), "--run", run_id,
                                                       "--json", str(figures)])[:2]))  # fmt: skip
    rows.append(("linkspider report --html --json", *measure([*LINKSPIDER, "report", "--out", str(root), "--run", run_id,
                                                              "--html", str(html), "--json", str(figures)])[:2]))  # fmt: skip
    links = duckdb.sql(f"SELECT count(*) FROM read_parquet('{root}/links/*/run={run_id}/*.parquet')").fetchall()[0][0]
    parquet = sum(p.stat().st_size for p in root.rglob("*.parquet"))
    print(f"\ndataset {root}: run {run_id}, {links:,} links, {parquet / 1e6:.1f} MB of Parquet (all tables, all runs)")
    print("\n| command | wall s | peak RSS MB |\n|---|---:|---:|")
    for name, wall, rss in rows:
        print(f"| {name} | {wall:.1f} | {rss:.0f} |")
    baseline = rows[-3][1]
    print(f"\nHTML report: {html.stat().st_size / 1e3:.0f} kB, JSON: {figures.stat().st_size / 1e3:.0f} kB; "
          f"--html --json takes {rows[-1][1] / baseline:.1f}x the plain-text report's wall time")


if __name__ == "__main__":
    main()
