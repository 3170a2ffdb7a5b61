"""The manual's DuckDB example for content-area backlinks runs and answers the question."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from linkspider.extraction.links import describe_links, resolve_links
from linkspider.extraction.page import extract_page
from linkspider.crawl.items import PageItem
from linkspider.runs.context import RunContext
from pipelines.parquet import ParquetExportPipeline
from tests.conftest import PROJECT_ROOT
from tests.test_docs import manual_text

PAGES = {
    "http://blog.a.com/post": (
        "<body><nav><a href='http://example.org/nav'>nav link</a></nav>"
        "<main><p>See <a href='http://example.org/x'>the guide</a> today.</p>"
        "<p><a rel=nofollow href='http://example.org/y'>nofollowed</a></p></main></body>"
    ),
    "http://b.net/": "<body><p>Also <a href='http://www.example.org/'>example</a>.</p>"
                     "<footer><a href='http://example.org/f'>footer</a></footer></body>",
}  # fmt: skip


def write_dataset(root: Path) -> None:
    pipeline = ParquetExportPipeline(RunContext.for_new_run(root, "readme"))
    pipeline.open_spider()
    for url, html in PAGES.items():
        page = extract_page(html)
        cols = resolve_links(url, page.base_href, page.hrefs)
        domain = "a.com" if "a.com" in url else "b.net"
        cols.update(describe_links(page.texts, page.alts, page.rels, cols["target_domain"], domain))
        cols.update(link_kind=page.kinds, tag=page.tags, position=page.positions,
                    region=page.regions, context_before=page.contexts_before,
                    context_after=page.contexts_after)  # fmt: skip
        item = PageItem({"fetched_at": 0, "url": url, "final_url": url, "host": url.split("/")[2],
                         "domain": domain, "status": 200, "depth": 0}, cols)  # fmt: skip
        pipeline.process_item(item)
    pipeline.close_spider()


def test_readme_content_area_query(tmp_path: Path) -> None:
    write_dataset(tmp_path)
    readme = manual_text()
    (query,) = [q for q in re.findall(r'duckdb\.sql\("""(.*?)"""\)', readme, re.S)
                if "region IN" in q]
    query = query.replace("output/", f"{tmp_path}/")
    rows = duckdb.connect().execute(query).fetchall()
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        ("a.com", 1, "the guide", "See [the guide] today."),
        ("b.net", 1, "example", "Also [example] ."),
    ]
