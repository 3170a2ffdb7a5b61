"""Bench: ``linkspider history update`` and ``linkspider diff`` on two runs of ~1M links.

The two runs are written directly as dataset files (``links`` and ``pages`` in the crawl's
schema), not crawled: two 1M-link scale crawls are too heavy for the shared 2-core machine.
Run 1: ``--sites`` sites x ``--pages`` pages x ``--links`` links (default 2,000 x 20 x 25 =
1,000,000 links; a third internal, the rest to other sites). Run 2 changes, per page or link,
with fixed shares: 1% of pages 404, 1% 500, 0.5% noindex; 2% of links removed, 2% anchors
edited, 1% made nofollow; 2% of pages get a new link. Each command runs in its own process;
wall time and peak RSS (``getrusage`` of that process) are printed as a table.

    .venv/bin/python -m bench.history [--dir DIR] [--sites 2000] [--pages 20] [--links 25] \
        [--limits 1GB,256MB,128MB]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linkspider.dataset.schema import LINKS_SCHEMA, PAGES_SCHEMA

START = datetime(2026, 12, 1, tzinfo=timezone.utc)


def build_run(root: Path, number: int, sites: int, pages: int, links: int, changed: bool) -> int:
    """Write run ``r<number>``; return its links."""
    change = random.Random(number)
    fetched = START + timedelta(days=number)
    page_rows: list[dict] = []
    cols: dict[str, list] = {name: [] for name in ("source_url", "source_host", "referring_domain", "target_url",
                                                   "target_host", "target_domain", "anchor_text", "rel",
                                                   "nofollow", "follow", "follow_reason", "is_external",
                                                   "position", "region")}  # fmt: skip
    for s in range(sites):
        host, domain = f"www.site-{s}.com", f"site-{s}.com"
        for k in range(pages):
            url = f"http://{host}/page-{k}.html"
            roll = change.random() if changed else 1.0
            status, noindex = (404 if roll < 0.01 else 500 if roll < 0.02 else 200), 0.02 <= roll < 0.025
            page_rows.append({"run_id": f"r{number}", "fetched_at": fetched, "url": url, "final_url": url,
                              "host": host, "domain": domain, "status": status, "noindex": noindex,
                              "canonical_url": url if status == 200 else None, "depth": 1,
                              "links_count": links})  # fmt: skip
            if status != 200:
                continue
            rng = random.Random(f"{s}:{k}")  # the same links in both runs; changes drawn apart
            count = links + (1 if changed and change.random() < 0.02 else 0)
            for i in range(count):
                internal = rng.random() < 0.33 if i < links else False
                t = s if internal else rng.randrange(sites)
                target = f"http://www.site-{t}.com/page-{rng.randrange(pages)}.html" if i < links \
                    else f"http://www.new-{change.randrange(10**6)}.com/"
                anchor = f"Anchor {rng.randrange(5000)}" if i < links else "New link"
                nofollow = False
                if changed and i < links:
                    roll = change.random()
                    if roll < 0.02:
                        continue
                    anchor = anchor + " (edited)" if roll < 0.04 else anchor
                    nofollow = 0.04 <= roll < 0.05
                cols["source_url"].append(url)
                cols["source_host"].append(host)
                cols["referring_domain"].append(domain)
                cols["target_url"].append(target)
                cols["target_host"].append(target.split("/")[2])
                cols["target_domain"].append(target.split("/")[2].removeprefix("www."))
                cols["anchor_text"].append(anchor)
                cols["rel"].append(["nofollow"] if nofollow else [])
                cols["nofollow"].append(nofollow)
                cols["follow"].append(not nofollow)
                cols["follow_reason"].append("rel_nofollow" if nofollow else "followed")
                cols["is_external"].append(t != s)
                cols["position"].append(i)
                cols["region"].append("main")
    n = len(cols["source_url"])
    cols.update(run_id=[f"r{number}"] * n, fetched_at=[fetched] * n, target_scheme=["http"] * n,
                anchor_from_alt=[False] * n, tag=["a"] * n, link_kind=["a"] * n, ugc=[False] * n,
                sponsored=[False] * n)  # fmt: skip
    links_table = pa.table({f.name: pa.array(cols.get(f.name, [None] * n), f.type) for f in LINKS_SCHEMA},
                           schema=LINKS_SCHEMA)
    pages_table = pa.Table.from_pylist(page_rows, schema=PAGES_SCHEMA)
    for table, data in (("links", links_table), ("pages", pages_table)):
        directory = root / table / f"crawl_date={fetched:%Y-%m-%d}" / f"run=r{number}"
        directory.mkdir(parents=True, exist_ok=True)
        pq.write_table(data, directory / "part-bench-00000.parquet", compression="zstd")
    return n


def measure(command: list[str]) -> tuple[float, float, str]:
    """Run ``command`` in a fresh wrapper process; return (wall s, peak RSS MB, stdout)."""
    wrapper = ("import json, resource, subprocess, sys, time; t = time.monotonic(); "
               "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(json.dumps([time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
               "r.returncode, r.stdout, r.stderr]))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True)
    wall, rss_kb, code, stdout, stderr = json.loads(out.stdout)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}): {stderr[-2000:]}")
    return wall, rss_kb / 1024, stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="dataset directory (default: a temporary one)")
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--links", type=int, default=25)
    parser.add_argument("--limits", default="1GB,256MB,128MB",
                        help="comma-separated LINKSPIDER_HISTORY_MEMORY_LIMIT values to fold at "
                             "(the project's default is 256MB)")  # fmt: skip
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="linkspider-history-bench-"))
    started = time.monotonic()
    sizes = [build_run(root, n, args.sites, args.pages, args.links, changed=n == 2) for n in (1, 2)]
    print(f"dataset {root}: runs r1 {sizes[0]:,} links, r2 {sizes[1]:,} links "
          f"(written in {time.monotonic() - started:.0f} s)")
    linkspider = [sys.executable, "-m", "linkspider"]
    rows = []
    # Fold r1 alone first (a dataset with one run), then the incremental step r1 -> r2; at
    # each memory limit.
    r2 = sorted((root / "pages").glob("*/run=r2"))[0]
    hidden = r2.parent.parent / "_r2_hidden"
    history = root / "link_history" / "link_history.parquet"
    for limit in args.limits.split(","):
        for path in (history, *root.glob("link_changes/*/*.parquet")):
            path.unlink(missing_ok=True)
        r2.rename(hidden)
        rows.append((f"history update, first run ({limit})",
                     *measure([*linkspider, "history", "update", "--out", str(root), "--memory-limit", limit])))
        hidden.rename(r2)
        rows.append((f"history update, r1 -> r2 ({limit})",
                     *measure([*linkspider, "history", "update", "--out", str(root), "--memory-limit", limit])))
    rows.append(("diff, history current (reads the step)", *measure([*linkspider, "diff", "--out", str(root)])))
    history.unlink()
    rows.append(("diff, no link_history yet (folds r1, r2)", *measure([*linkspider, "diff", "--out", str(root)])))
    print(f"\n| command | wall s | peak RSS MB |\n|---|---|---|")
    for name, wall, rss, _ in rows:
        print(f"| {name} | {wall:.1f} | {rss:.0f} |")
    print("\n" + rows[-2][3])


if __name__ == "__main__":
    main()
