"""The resume rebuild (linkspider.runs.journal, BacklinksSpider._resumed_requests) reads a
killed run's files in batches: its memory does not grow with the run's links, and it rebuilds
the frontier the sorted replay of the stored pages would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linkspider.runs.journal import RunJournal, count_refetched
from linkspider.spiders.backlinks import BacklinksSpider

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN = "killed"


def write_run(root: Path, pages: list[dict], links: list[dict], part: str = "part-a-00000") -> None:
    """Write one committed part (``links`` and its ``pages`` twin) of run ``killed``."""
    for table, rows in (("links", links), ("pages", pages)):
        directory = root / table / "crawl_date=2026-12-02" / f"run={RUN}"
        directory.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), directory / f"{part}.parquet")


def page(url: str, depth: int, hops: int = 0, status: int = 200, **extra) -> dict:
    host = url.split("/")[2]
    return {"url": url, "final_url": url, "host": host, "domain": host, "status": status,
            "depth": depth, "hops": hops, "error": None, "page_nofollow": False, "size": 100,
            **extra}  # fmt: skip


def link(source: str, target: str, position: int, rel: list[str] | None = None) -> dict:
    host = target.split("/")[2]
    return {"source_url": source, "target_url": target, "target_fragment": None,
            "target_scheme": target.split(":")[0], "target_domain": host, "target_host": host,
            "rel": rel or [], "link_kind": "anchor", "position": position}  # fmt: skip


def spider(max_depth: int = 20, external_hops: int = 0, pages_per_site: int = 0) -> BacklinksSpider:
    spider = BacklinksSpider(seeds="http://a.test/")
    spider.max_depth, spider.external_hops, spider.crawl_nofollow = max_depth, external_hops, False
    spider.max_pages_per_site = pages_per_site
    return spider


def rebuilt(root: Path, spider: BacklinksSpider) -> list[tuple[str, int, int]]:
    journal = RunJournal(root, RUN)
    spider._mark_requested(journal.requested_urls())
    return [(r.url, r.meta["depth"], r.meta["hops"]) for r in spider._resumed_requests(journal)]


def test_a_url_linked_at_several_depths_is_requested_from_the_shallowest(tmp_path: Path) -> None:
    # File order puts the deep page first; the replay still goes shallowest first.
    write_run(tmp_path, [page("http://a.test/deep", 3), page("http://a.test/", 0),
                         page("http://a.test/shallow", 1)],
              [link("http://a.test/deep", "http://a.test/new", 0),
               link("http://a.test/deep", "http://a.test/only-deep", 1),
               link("http://a.test/shallow", "http://a.test/new", 0),
               link("http://a.test/shallow", "http://a.test/nofollowed", 1, ["nofollow"]),
               link("http://a.test/", "http://a.test/shallow", 0),
               link("http://a.test/", "http://b.test/other-site", 1)])  # fmt: skip
    assert rebuilt(tmp_path, spider()) == [("http://a.test/new", 2, 0),
                                           ("http://a.test/only-deep", 4, 0)]  # fmt: skip
    assert ("http://b.test/other-site", 1, 1) in rebuilt(tmp_path, spider(external_hops=1))


def test_a_page_reached_twice_follows_its_links_with_the_fewest_hops_first(tmp_path: Path) -> None:
    write_run(tmp_path, [page("http://a.test/p", 1, hops=1), page("http://a.test/p", 1, hops=0)],
              [link("http://a.test/p", "http://a.test/q", 0)])  # fmt: skip
    assert rebuilt(tmp_path, spider(external_hops=1)) == [("http://a.test/q", 2, 0)]


def test_the_site_budget_is_spent_in_the_replay_order(tmp_path: Path) -> None:
    write_run(tmp_path, [page("http://a.test/", 0), page("http://a.test/z", 1)],
              [link("http://a.test/z", "http://a.test/from-z", 0),
               link("http://a.test/", "http://a.test/z", 0),
               link("http://a.test/", "http://a.test/from-root", 1)])  # fmt: skip
    # Two pages are requested already; a budget of three leaves room for one more.
    assert rebuilt(tmp_path, spider(pages_per_site=3)) == [("http://a.test/from-root", 1, 0)]


def test_refetched_pages_are_counted_from_the_logs_against_the_durable_urls(tmp_path: Path) -> None:
    log = tmp_path / "fetched-1.log"
    log.write_text("http://a.test/1\nhttp://a.test/2\nhttp://a.test/2\nhttp://a.test/3\n")
    assert count_refetched([log], iter(["http://a.test/1", "http://a.test/9"])) == 2


REBUILD = """
import json, sys
from pathlib import Path
from linkspider.runs.journal import RunJournal
from linkspider.spiders.backlinks import BacklinksSpider
import duckdb, pyarrow.parquet

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) // 1024

spider = BacklinksSpider(seeds="http://a.test/")
spider.max_depth, spider.external_hops, spider.crawl_nofollow = 20, 0, False
spider.max_pages_per_site = 0
journal = RunJournal(sys.argv[1], "killed")
before = status("VmRSS:")
spider._mark_requested(journal.requested_urls())
requests = sum(1 for _ in spider._resumed_requests(journal))
print(json.dumps({"requests": requests, "mb": status("VmHWM:") - before}))
"""


def rebuild_peak_mb(root: Path) -> dict:
    """Return the frontier size and the rebuild's peak memory above its start, in MB, from a
    process of its own (VmHWM: not inherited from the forking test process)."""
    done = subprocess.run([sys.executable, "-c", REBUILD, str(root)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def many_links_run(root: Path, links_per_page: int, pages: int = 2_000) -> None:
    """A run of ``pages`` stored pages each linking ``links_per_page`` stored pages (as a
    site's navigation does) and one page not fetched yet: the frontier is ``pages`` long."""
    urls = [f"http://a.test/page-{i:05d}" for i in range(pages)]
    per_part = max(1, 100_000 // (links_per_page + 1))  # parts of about 100,000 links
    for start in range(0, pages, per_part):
        numbers = range(start, min(pages, start + per_part))
        rows = [page(urls[i], depth=1 + i % 5) for i in numbers]
        targets = [[urls[(i + k) % pages] for k in range(links_per_page)] + [f"http://a.test/new-{i}"]
                   for i in numbers]  # fmt: skip
        count = len(numbers) * (links_per_page + 1)
        links = pa.table({
            "source_url": [urls[i] for i in numbers for _ in range(links_per_page + 1)],
            "target_url": [t for page_targets in targets for t in page_targets],
            "target_fragment": pa.nulls(count, pa.string()), "target_scheme": ["http"] * count,
            "target_domain": ["a.test"] * count, "target_host": ["a.test"] * count,
            "rel": pa.array([[]] * count, pa.list_(pa.string())), "link_kind": ["anchor"] * count,
            "position": [k for _ in numbers for k in range(links_per_page + 1)],
        })  # fmt: skip
        for table, data in (("links", links), ("pages", pa.Table.from_pylist(rows))):
            directory = root / table / "crawl_date=2026-12-02" / f"run={RUN}"
            directory.mkdir(parents=True, exist_ok=True)
            pq.write_table(data, directory / f"part-a-{start:05d}.parquet")


def test_the_rebuild_memory_does_not_grow_with_the_runs_links(tmp_path: Path) -> None:
    """300,000 links take no more memory to replay than 20,000 (the old replay sorted them
    all in DuckDB, up to its 256 MB limit, and held every requested URL in a list: 128 MB
    for 50,000 links, 208 MB for 500,000)."""
    many_links_run(tmp_path / "small", 9)
    many_links_run(tmp_path / "large", 149)
    small, large = rebuild_peak_mb(tmp_path / "small"), rebuild_peak_mb(tmp_path / "large")
    assert small["requests"] == large["requests"] == 2_000
    assert large["mb"] < small["mb"] + 16, (small, large)
