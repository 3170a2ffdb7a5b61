"""``page_rank.node_kind``: the site graph keeps every linked URL (a 404, an asset, a URL never
requested hold rank too), and each row says which it is, by what the run fetched."""

from __future__ import annotations

from pathlib import Path

import duckdb

from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.crawling import local_web_args, run_crawl, run_linkspider


def test_each_node_says_whether_it_is_a_page_an_error_or_never_fetched(tmp_path: Path) -> None:
    world = World(WorldConfig(seed=4, sites=4, pages_per_site=6, link_rot=True))
    out = tmp_path / "out"
    with LocalWebProcess(world) as web:
        crawl = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, out), "--run-id", "kinds",
                          "--max-depth", "10")  # fmt: skip
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    analyzed = run_linkspider("analyze", "--out", str(out), "--run", "kinds")
    assert analyzed.returncode == 0, analyzed.stderr[-2000:]
    con = duckdb.connect()
    con.execute(f"CREATE VIEW pages AS SELECT * FROM read_parquet('{out}/pages/*/*/*.parquet')")
    con.execute(f"CREATE VIEW page_rank AS SELECT * FROM read_parquet('{out}/analysis/run=kinds/page_rank.parquet')")
    kinds = dict(con.execute("SELECT node_kind, count(*) FROM page_rank GROUP BY 1").fetchall())
    assert kinds.get("page", 0) > 10 and kinds.get("error", 0) >= 1, kinds
    # A page row is a 2xx HTML answer of the run; an error row was answered 4xx/5xx or failed.
    wrong_pages = con.execute("""
        SELECT r.url FROM page_rank r WHERE r.node_kind = 'page' AND NOT EXISTS (
            SELECT 1 FROM pages p WHERE coalesce(p.final_url, p.url) = r.url AND p.error IS NULL
              AND p.status BETWEEN 200 AND 299 AND p.content_type = 'text/html')""").fetchall()
    assert wrong_pages == []
    wrong_errors = con.execute("""
        SELECT r.url FROM page_rank r WHERE r.node_kind = 'error' AND NOT EXISTS (
            SELECT 1 FROM pages p WHERE r.url IN (p.url, p.final_url)
              AND (p.status IS NULL OR p.status >= 300 OR p.error IS NOT NULL))""").fetchall()
    assert wrong_errors == []
    never = con.execute("""
        SELECT count(*) FROM page_rank r WHERE r.node_kind = 'not_fetched'
          AND EXISTS (SELECT 1 FROM pages p WHERE r.url IN (p.url, p.final_url))""").fetchall()
    assert never == [(0,)]
