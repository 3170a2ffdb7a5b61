"""End to end: crawl a generated world of 24 sites through the real Scrapy engine and the local
web, and compare the written dataset with the world's ground truth, field by field."""

from __future__ import annotations

import codecs

from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from linkspider.report import create_run_view
from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.crawling import local_web_args, read_table, run_crawl

COMPARED_FIELDS = (
    "target_url", "target_fragment", "target_scheme", "target_host", "referring_domain",
    "target_domain", "is_external", "anchor_text", "anchor_from_alt", "tag", "rel",
    "nofollow", "ugc", "sponsored", "follow",
)  # fmt: skip
BODY_LINK_KINDS = ("a", "area", "image")


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
    table = read_table(crawl, "links").to_pylist()
    crawled = {
        (row["source_url"], row["position"]): row
        for row in table
        if row["link_kind"] in BODY_LINK_KINDS
    }
    assert len(crawled) == sum(1 for r in table if r["link_kind"] in BODY_LINK_KINDS), (
        "a (page, position) pair was stored twice"
    )
    expected = {(row["source_url"], row["position"]): row for row in world.ground_truth_links()}
    missing = sorted(set(expected) - set(crawled))
    unexpected = sorted(set(crawled) - set(expected))
    assert missing == [] and unexpected == [], (missing[:5], unexpected[:5])
    differences = [
        (key, name, want[name], crawled[key][name])
        for key, want in expected.items()
        for name in COMPARED_FIELDS
        if crawled[key][name] != want[name]
    ]
    assert differences == [], differences[:10]


def test_every_placed_link_is_present_once_per_occurrence(world: World, crawl: Path) -> None:
    links = read_table(crawl, "links").to_pandas()
    body = links[links["link_kind"].isin(BODY_LINK_KINDS)]
    got = Counter(zip(body["source_url"], body["target_url"]))
    want = Counter((r["source_url"], r["target_url"]) for r in world.ground_truth_links())
    assert got == want


def test_pages_are_the_pages_a_correct_crawler_fetches(world: World, crawl: Path) -> None:
    pages = read_table(crawl, "pages").to_pylist()
    fetched = {p["url"]: p for p in pages if p["error"] is None or p["status"] is not None}
    expected = {p["url"]: p for p in world.ground_truth_pages() if p["error"] is None}
    assert sorted(set(fetched) - set(expected)) == []
    assert sorted(set(expected) - set(fetched)) == []
    wrong = [
        (url, (p["status"], p["final_url"], p["content_type"]),
         (fetched[url]["status"], fetched[url]["final_url"], fetched[url]["content_type"]))
        for url, p in expected.items()
        if (p["status"], p["final_url"], p["content_type"])
        != (fetched[url]["status"], fetched[url]["final_url"], fetched[url]["content_type"])
    ]  # fmt: skip
    assert wrong == []


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
