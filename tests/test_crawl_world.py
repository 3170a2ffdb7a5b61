"""End to end: crawl a generated world of 24 sites through the real Scrapy engine and the local
web, and compare the written dataset with the world's ground truth, field by field."""

from __future__ import annotations

import codecs
import re

from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from linkspider.dataset.run_summary import create_run_view
from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.conftest import PROJECT_ROOT
from tests.test_docs import manual_text
from tests.crawling import local_web_args, read_table, run_crawl

#: Every ground-truth link field is compared; these name the row.
ROW_KEY = ("source_url", "link_kind", "position", "target_url")


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=1, sites=24))


@pytest.fixture(scope="module")
def crawl(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Crawl the whole world once; return the dataset root."""
    out = tmp_path_factory.mktemp("dataset")
    with LocalWebProcess(world) as web:
        result = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, out),
                           "--max-depth", "10", "--run-id", "world-test")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_world_is_large_enough(world: World) -> None:
    assert len(world.seeds()) >= 20
    assert len(world.ground_truth_links()) > 5000


def test_links_equal_ground_truth_field_by_field(world: World, crawl: Path) -> None:
    """Every placed link of every kind (a, area, image, iframe, canonical, meta_refresh,
    redirect) is present once, and every fact the world knows about it is equal."""
    crawled = read_table(crawl, "links").to_pylist()
    expected = world.ground_truth_links(kinds=None)

    def key(row: dict) -> tuple:
        return tuple(row[name] for name in ROW_KEY)

    got_counts, want_counts = Counter(map(key, crawled)), Counter(map(key, expected))
    assert want_counts - got_counts == Counter(), "missing links"
    assert got_counts - want_counts == Counter(), "unexpected links"
    assert max(want_counts.values()) == 1
    by_key = {key(row): row for row in crawled}
    fields = sorted(set(expected[0]) - set(ROW_KEY))
    assert len(fields) >= 20
    differences = [
        (key(want), name, want[name], by_key[key(want)][name])
        for want in expected
        for name in fields
        if by_key[key(want)][name] != want[name]
    ]
    assert differences == [], differences[:10]
    assert {row["link_kind"] for row in expected} == {
        "a", "area", "image", "iframe", "canonical", "meta_refresh", "redirect"
    }  # fmt: skip


def test_pages_are_the_pages_a_correct_crawler_fetches(world: World, crawl: Path) -> None:
    pages = read_table(crawl, "pages").to_pylist()
    fetched = {p["url"]: p for p in pages if p["error"] is None or p["status"] is not None}
    expected = {p["url"]: p for p in world.ground_truth_pages() if p["error"] is None}
    assert sorted(set(fetched) - set(expected)) == []
    assert sorted(set(expected) - set(fetched)) == []
    fields = ("status", "final_url", "content_type", "links_count")
    html_fields = ("page_nofollow", "noindex", "lang", "canonical_url")
    wrong = [
        (url, name, p[name], fetched[url][name])
        for url, p in expected.items()
        for name in fields + (html_fields if p["encoding"] else ())
        if fetched[url][name] != p[name]
    ]
    assert wrong == [], wrong[:10]


def test_redirect_loops_and_robots_refusals_are_recorded_as_errors(world: World, crawl: Path) -> None:
    errors = {p["url"]: p["error"] for p in read_table(crawl, "pages").to_pylist() if p["error"]}
    loops = [p["url"] for p in world.ground_truth_pages() if p["error"] == "redirect_loop"]
    assert loops and all("redirect loop" in errors[url] for url in loops)
    private = [url for url, error in errors.items() if "/private/" in url]
    assert private and all("robots.txt" in errors[url] for url in private)


def whatwg_decoder(label: str) -> str:
    """Return the codec a browser decodes ``label`` with (ISO-8859-1 means windows-1252)."""
    name = codecs.lookup(label).name
    return "cp1252" if name in ("latin_1", "iso8859-1") else name


def test_page_nofollow_and_non_utf8_pages(world: World, crawl: Path) -> None:
    pages = {p["url"]: p for p in read_table(crawl, "pages").to_pylist()}
    html_pages = [t for t in world.ground_truth_pages() if t["status"] == 200 and t["encoding"]]
    assert {whatwg_decoder(t["encoding"]) for t in html_pages} >= {"utf-8", "cp1251", "cp1252"}
    for truth in html_pages:
        page = pages[truth["url"]]
        assert page["page_nofollow"] == truth["page_nofollow"], truth["url"]
        assert whatwg_decoder(page["encoding"]) == whatwg_decoder(truth["encoding"]), truth["url"]


def test_redirect_hops_are_links_of_kind_redirect(world: World, crawl: Path) -> None:
    links = read_table(crawl, "links").to_pandas()
    redirects = links[links["link_kind"] == "redirect"]
    redirecting_urls = {url for p in world.ground_truth_pages() for url in p["redirect_urls"]}
    assert set(redirects["source_url"]) == redirecting_urls
    assert set(redirects["redirect_status"].astype(int)) <= {301, 302, 303, 307, 308}
    assert not redirects["position"].notna().any()


def test_dataset_reads_back_with_documented_types(crawl: Path) -> None:
    links = read_table(crawl, "links")
    assert links.schema.field("fetched_at").type == pa.timestamp("us", tz="UTC")
    assert links.schema.field("rel").type == pa.list_(pa.string())
    assert pa.types.is_dictionary(links.schema.field("referring_domain").type)
    pages = read_table(crawl, "pages")
    assert pages.schema.field("status").type == pa.int16()
    frame = pd.read_parquet(crawl / "links")
    assert str(frame["fetched_at"].dtype).startswith("datetime64") and frame["follow"].dtype == bool
    assert isinstance(frame["referring_domain"].dtype, pd.CategoricalDtype)
    assert set(frame["run"].astype(str)) == {"world-test"}


def test_duckdb_counts_referring_domains_per_target_domain(world: World, crawl: Path) -> None:
    con = duckdb.connect()
    create_run_view(con, crawl, "links", "world-test")
    got = dict(con.execute(
        "SELECT target_domain, count(DISTINCT referring_domain) FROM links "
        "WHERE is_external AND link_kind IN ('a', 'area', 'image') GROUP BY 1"
    ).fetchall())  # fmt: skip
    want: dict[str, set[str]] = defaultdict(set)
    for row in world.ground_truth_links():
        if row["is_external"]:
            want[row["target_domain"]].add(row["referring_domain"])
    assert got == {domain: len(refs) for domain, refs in want.items()}


def test_links_on_page_counts_match_the_placed_links(world: World, crawl: Path) -> None:
    want: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in world.ground_truth_links(kinds=None):
        if row["position"] is not None and row["target_domain"] is not None:
            want[row["source_url"]][row["is_external"]] += 1
    links = read_table(crawl, "links").to_pylist()
    got = {
        row["source_url"]: [row["page_internal_links"], row["page_external_links"]]
        for row in links
        if row["position"] is not None
    }
    assert got == dict(want)


def test_content_sha1_is_the_hash_of_the_served_bytes(world: World, crawl: Path) -> None:
    import hashlib
    from urllib.parse import urlsplit

    pages = [p for p in read_table(crawl, "pages").to_pylist() if p["final_url"]]
    assert len(pages) > 500
    for page in pages:
        parts = urlsplit(page["final_url"])
        body = world.respond(parts.hostname, parts.path + (f"?{parts.query}" if parts.query else "")).body
        assert page["content_sha1"] == hashlib.sha1(body).hexdigest(), page["final_url"]


def test_readme_broken_links_query_joins_links_to_pages(world: World, crawl: Path) -> None:
    readme = manual_text()
    (query,) = [q for q in re.findall(r'duckdb\.sql\("""(.*?)"""\)', readme, re.S)
                if "p.status >= 400" in q]
    rows = duckdb.connect().execute(query.replace("output/", f"{crawl}/")).fetchall()
    broken = {p["url"]: p["status"] for p in world.ground_truth_pages()
              if p["status"] is not None and p["status"] >= 400}
    links: Counter[str] = Counter()
    sources: dict[str, set[str]] = defaultdict(set)
    for row in world.ground_truth_links():
        if row["target_url"] in broken:
            links[row["target_url"]] += 1
            sources[row["target_url"]].add(row["source_url"])
    assert len(broken) >= 10 and links
    assert sorted(rows) == sorted(
        (url, broken[url], count, len(sources[url])) for url, count in links.items()
    )
