"""Sitemaps (``--sitemaps``): the parsing functions on small inputs, then crawls of the sitemap
sites of the local web (linkspider.web.sitemaps): pages only a sitemap leads to, the manual's
orphan query, and every bad sitemap bounded with its row while the crawl goes on."""

from __future__ import annotations

import gzip
import re
import time
from pathlib import Path

import duckdb
import pytest

from linkspider.discovery.crawling import seed_origins
from linkspider.discovery.sitemaps import (
    SitemapError,
    parse_sitemap,
    robots_sitemap_urls,
    sitemap_body,
)
from linkspider.web import World, WorldConfig
from linkspider.web.hostile import compressed_zeros
from linkspider.web.server import LocalWebProcess
from linkspider.web.sitemaps import BAD_SITEMAPS, SitemapWeb, sitemap_index, urlset
from tests.conftest import PROJECT_ROOT
from tests.crawling import LoopbackHandler, local_web_args, read_table, run_crawl, serving

BASE = "http://a.com/sitemap.xml"
BAD_LIMITS = ("--max-pages-per-site", "20", "-s", "LINKSPIDER_SITEMAP_MAX_BYTES=8000000",
              "-s", "LINKSPIDER_SITEMAP_MAX_FILES=20")  # fmt: skip


# -- parsing, without a crawl -----------------------------------------------------------------


def urls_of(body: bytes, max_urls: int = 50_000) -> list[str]:
    return [entry.url for entry in parse_sitemap(body, BASE, max_urls).entries]


def test_a_urlset_gives_its_locs_resolved_and_normalized() -> None:
    body = urlset(["http://a.com/x", "/rel", "HTTP://A.COM/y#frag", "mailto:me@a.com"])
    assert urls_of(body) == ["http://a.com/x", "http://a.com/rel", "http://a.com/y"]


def test_an_entry_keeps_lastmod_changefreq_priority_and_hreflang_alternates() -> None:
    extra = ('<lastmod>2026-01-02</lastmod><changefreq>daily</changefreq><priority>0.8</priority>'
             '<xhtml:link rel="alternate" hreflang="de" href="http://a.com/de"/>'
             '<xhtml:link rel="alternate" hreflang="x-default" href="/"/>')  # fmt: skip
    (entry,) = parse_sitemap(urlset(["http://a.com/en"], extra), BASE).entries
    assert (entry.lastmod, entry.changefreq, entry.priority) == ("2026-01-02", "daily", 0.8)
    assert entry.alternates == [("de", "http://a.com/de"), ("x-default", "http://a.com/")]


@pytest.mark.parametrize("text", ["high", "1.5", "-0.1", ""])
def test_a_priority_that_is_no_number_from_0_to_1_is_null(text: str) -> None:
    (entry,) = parse_sitemap(urlset(["http://a.com/"], f"<priority>{text}</priority>"), BASE).entries
    assert entry.priority is None


def test_a_sitemap_index_lists_its_sitemaps() -> None:
    parsed = parse_sitemap(sitemap_index(["http://a.com/s1.xml", "/s2.xml.gz"]), BASE)
    assert parsed.kind == "sitemapindex"
    assert [e.url for e in parsed.entries] == ["http://a.com/s1.xml", "http://a.com/s2.xml.gz"]


def test_a_text_sitemap_is_its_lines_that_are_http_urls() -> None:
    body = b"\xef\xbb\xbfhttp://a.com/1\r\n  https://a.com/2  \n# comment\nftp://a.com/3\n/relative\n"
    parsed = parse_sitemap(body, "http://a.com/sitemap.txt")
    assert parsed.kind == "text"
    assert [e.url for e in parsed.entries] == ["http://a.com/1", "https://a.com/2"]


def test_entries_past_max_urls_are_counted_not_kept() -> None:
    parsed = parse_sitemap(urlset([f"http://a.com/{i}" for i in range(7)]), BASE, max_urls=5)
    assert len(parsed.entries) == 5 and parsed.entries_over_limit == 2


@pytest.mark.parametrize(("body", "words"), [
    (b"", "neither XML"),
    (b"\x00\x01binary\xff" * 100, "neither XML"),
    (b"<!DOCTYPE html><html><body>Not found</body></html>", "root element is <html>"),
    (b"<rss><channel/></rss>", "root element is <rss>"),
    (b"<<<<>>>>", "cannot be read"),
], ids=["empty", "binary", "html", "rss", "broken-xml"])  # fmt: skip
def test_what_is_no_sitemap_raises_sitemap_invalid(body: bytes, words: str) -> None:
    with pytest.raises(SitemapError, match=words) as caught:
        parse_sitemap(body, BASE)
    assert caught.value.reason == "sitemap_invalid"


def test_entities_are_not_expanded() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa">'
              b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              b"<urlset><url><loc>http://a.com/&b;</loc></url></urlset>")  # fmt: skip
    assert all("aaaaaaaaaa" not in url for url in urls_of(laughs))


def test_a_gzip_sitemap_is_unpacked() -> None:
    assert sitemap_body(gzip.compress(urlset(["http://a.com/"]))) == urlset(["http://a.com/"])


def test_a_gzip_bomb_stops_at_max_bytes() -> None:
    bomb = compressed_zeros("gzip", 64 << 20)
    started = time.monotonic()
    with pytest.raises(SitemapError, match="compression bomb") as caught:
        sitemap_body(bomb, max_bytes=1 << 20)
    assert caught.value.reason == "sitemap_too_large"
    assert time.monotonic() - started < 2


def test_a_plain_sitemap_over_max_bytes_is_too_large() -> None:
    with pytest.raises(SitemapError) as caught:
        sitemap_body(b" " * 2000, max_bytes=1000)
    assert caught.value.reason == "sitemap_too_large"


def test_broken_gzip_is_invalid() -> None:
    with pytest.raises(SitemapError) as caught:
        sitemap_body(b"\x1f\x8b\x08\x00garbage")
    assert caught.value.reason == "sitemap_invalid"


def test_robots_sitemap_lines_are_resolved_once_each_and_http_only() -> None:
    robots = (b"User-agent: *\nDisallow: /x\nSitemap: /a.xml\nSITEMAP: http://a.com/a.xml\n"
              b"Sitemap: https://cdn.b.net/s.xml.gz\nSitemap: ftp://a.com/f\n")  # fmt: skip
    assert robots_sitemap_urls(robots, "http://a.com/robots.txt") == [
        "http://a.com/a.xml", "https://cdn.b.net/s.xml.gz"]


def test_the_sitemap_sites_pass_other_hosts_to_the_world() -> None:
    world = World(WorldConfig(sites=2))
    host = world.seeds()[0].split("/")[2]
    assert SitemapWeb(world).respond(host, "/").body == world.respond(host, "/").body
    assert SitemapWeb().respond(host, "/").status == 502


def test_seed_origins_are_distinct_in_order() -> None:
    assert seed_origins(["http://a.com/x", "https://a.com/", "http://a.com/"]) == [
        "http://a.com", "https://a.com"]


# -- crawls of the local web ------------------------------------------------------------------


@pytest.fixture(scope="module")
def web():
    with LocalWebProcess(SitemapWeb()) as server:
        yield server


@pytest.fixture(scope="module")
def good_crawl(web, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good")
    result = run_crawl("http://sitemapped.test/", "http://textmap.test/",
                       *local_web_args(web.proxy_url, out, "--sitemaps", "--run-id", "maps-1"))  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def bad_crawl(web, tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("bad")
    started = time.monotonic()
    result = run_crawl("http://badmaps.test/", "http://widemap.test/",
                       *local_web_args(web.proxy_url, out, "--sitemaps", *BAD_LIMITS))  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out, time.monotonic() - started


def pages(out: Path) -> dict[str, dict]:
    return {row["url"]: row for row in read_table(out, "pages").to_pylist()}


def manual_query(marker: str, out: Path) -> list[tuple]:
    page = (PROJECT_ROOT / "docs" / "sitemaps.md").read_text(encoding="utf-8")
    (query,) = [q for q in re.findall(r'duckdb\.sql\("""(.*?)"""\)', page, re.S) if marker in q]
    return duckdb.connect().execute(query.replace("output/", f"{out}/")).fetchall()


def test_the_pages_only_the_sitemap_leads_to_are_fetched_as_sitemap_discoveries(good_crawl: Path) -> None:
    rows = pages(good_crawl)
    for url in SitemapWeb.orphan_urls():
        assert rows[url]["status"] == 200 and rows[url]["discovered_by"] == "sitemap", rows.get(url)
        assert rows[url]["depth"] == 1
    assert rows["http://sitemapped.test/"]["discovered_by"] == "seed"
    assert rows["http://sitemapped.test/unlisted.html"]["discovered_by"] == "link"
    assert len([r for r in rows.values() if r["host"] == "sitemapped.test"]) == 33


def test_the_manuals_orphan_query_finds_exactly_those_pages(good_crawl: Path) -> None:
    orphans = manual_query("NOT EXISTS", good_crawl)
    textmap = [f"http://textmap.test/{p}.html" for p in ("t-1", "t-2", "p-1", "p-2", "p-3")]
    assert [row[0] for row in orphans] == sorted([*SitemapWeb.orphan_urls(), *textmap])
    assert {row[1] for row in orphans if "sitemapped" in row[0]} == {
        "http://sitemapped.test/sitemaps/pages.xml.gz"}


def test_the_manuals_missing_from_sitemap_query_finds_the_unlisted_page(good_crawl: Path) -> None:
    assert manual_query("NOT IN", good_crawl) == [("http://sitemapped.test/unlisted.html",)]


def test_sitemap_urls_rows_say_where_each_url_was_listed(good_crawl: Path) -> None:
    rows = {r["url"]: r for r in read_table(good_crawl, "sitemap_urls").to_pylist()}
    orphan = rows["http://sitemapped.test/orphan-7.html"]
    assert orphan["sitemap_index"] == "http://sitemapped.test/sitemap_index.xml"
    assert (orphan["sitemap_kind"], orphan["sitemap_source"], orphan["in_scope"]) == ("urlset", "index", True)
    assert (orphan["lastmod"], orphan["changefreq"], orphan["priority"]) == ("2026-11-07", "weekly", 0.7)
    assert orphan["hreflang_alternates"] == [
        {"hreflang": "de", "url": "http://sitemapped.test/de/orphan-7.html"}]
    assert orphan["run"] == "maps-1" and orphan["domain"] == "sitemapped.test"
    assert rows["http://sitemapped.test/about.html"]["sitemap_kind"] == "text"
    assert len(rows) == 32 + 6


def test_robots_text_sitemaps_and_the_well_known_sitemap_xml_are_both_read(good_crawl: Path) -> None:
    rows = read_table(good_crawl, "sitemap_urls").to_pylist()
    textmap = {(r["url"], r["sitemap_source"], r["in_scope"]) for r in rows if "textmap" in r["sitemap"]}
    assert textmap == {
        ("http://textmap.test/t-1.html", "robots_txt", True), ("http://textmap.test/t-2.html", "robots_txt", True),
        ("http://elsewhere.test/x", "robots_txt", False),
        *((f"http://textmap.test/p-{k}.html", "well_known", True) for k in (1, 2, 3)),
    }  # fmt: skip
    fetched = pages(good_crawl)
    assert "http://elsewhere.test/x" not in fetched  # listed off the site: recorded, not fetched
    assert all(fetched[f"http://textmap.test/{p}.html"]["discovered_by"] == "sitemap"
               for p in ("t-1", "t-2", "p-1", "p-2", "p-3"))  # fmt: skip


def test_sitemap_files_and_missing_sitemap_xml_leave_no_page_rows(good_crawl: Path) -> None:
    urls = pages(good_crawl)
    assert not [u for u in urls if "sitemap" in u.rsplit("/", 1)[-1] or u.endswith(".gz")]


def test_without_sitemaps_no_sitemap_is_read(web, tmp_path: Path) -> None:
    result = run_crawl("http://sitemapped.test/", *local_web_args(web.proxy_url, tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = pages(tmp_path)
    assert {u: r["discovered_by"] for u, r in rows.items()} == {
        "http://sitemapped.test/": "seed", "http://sitemapped.test/about.html": "link",
        "http://sitemapped.test/unlisted.html": "link"}  # fmt: skip
    assert not (tmp_path / "sitemap_urls").exists()


@pytest.mark.parametrize(("case", "reason", "status"), [
    ("not_xml", "sitemap_invalid", 200), ("html", "sitemap_invalid", 200),
    ("missing", "sitemap_invalid", 404), ("huge", "body_too_large", None),
    ("bomb", "sitemap_too_large", 200), ("many", "sitemap_too_many_urls", 200),
    ("loop", "sitemap_loop", None),
], ids=["not_xml", "html", "missing", "huge", "bomb", "many", "loop"])  # fmt: skip
def test_a_bad_sitemap_is_a_row_with_its_drop_reason(bad_crawl, case: str, reason: str,
                                                     status: int | None) -> None:  # fmt: skip
    row = pages(bad_crawl[0])[f"http://badmaps.test{BAD_SITEMAPS[case]}"]
    assert (row["drop_reason"], row["status"], row["discovered_by"]) == (reason, status, "sitemap")
    assert row["depth"] == 1
    if case in ("many", "loop"):  # read (once, or in part): a note, no error
        assert row["error"] is None and row["note"]
    else:
        assert row["error"].startswith(f"sitemap http://badmaps.test{BAD_SITEMAPS[case]}: ")
    if case in ("huge", "bomb"):
        assert "LINKSPIDER_SITEMAP_MAX_BYTES=8,000,000" in row["error"]


def test_an_endless_chain_of_indexes_stops_at_max_nesting(bad_crawl) -> None:
    rows = pages(bad_crawl[0])
    (deepest,) = [r for r in rows.values() if r["drop_reason"] == "sitemap_nesting"]
    assert deepest["url"] == "http://badmaps.test/nest/4.xml"
    assert "LINKSPIDER_SITEMAP_MAX_NESTING=2" in deepest["note"]


def test_the_first_50000_urls_of_a_too_long_sitemap_are_recorded(bad_crawl) -> None:
    rows = duckdb.connect().execute(f"""SELECT count(*), count(DISTINCT url) FROM
        read_parquet('{bad_crawl[0]}/sitemap_urls/*/*/*.parquet')
        WHERE sitemap = 'http://badmaps.test/many.xml'""").fetchone()  # fmt: skip
    assert rows == (50_000, 50_000)
    note = pages(bad_crawl[0])["http://badmaps.test/many.xml"]["note"]
    assert "1 more not read" in note


def test_sitemap_urls_keep_to_the_sites_page_budget_and_the_crawl_goes_on(bad_crawl) -> None:
    rows = pages(bad_crawl[0])
    assert rows["http://badmaps.test/"]["status"] == 200
    listed = [r for r in rows.values() if "/m/" in r["url"]]
    assert len(listed) == 19 and all(r["status"] == 200 and r["depth"] == 1 for r in listed)


def test_more_sitemap_files_than_max_files_leave_one_row(bad_crawl) -> None:
    rows = pages(bad_crawl[0])
    (refused,) = [r for r in rows.values() if r["drop_reason"] == "sitemap_files"]
    assert refused["host"] == "widemap.test" and "LINKSPIDER_SITEMAP_MAX_FILES=20" in refused["note"]
    read = duckdb.connect().execute(f"""SELECT count(DISTINCT sitemap) FROM
        read_parquet('{bad_crawl[0]}/sitemap_urls/*/*/*.parquet') WHERE host = 'widemap.test'""").fetchone()  # fmt: skip
    assert read == (19,)  # /sitemap.xml, the index, is the 20th file


def test_bad_sitemaps_keep_the_crawl_short(bad_crawl) -> None:
    assert bad_crawl[1] < 30  # about 3 s measured: 10 MB, a 64 MB bomb and 50,001 URLs bounded


def test_sitemaps_are_refused_in_a_distributed_run(tmp_path: Path) -> None:
    result = run_crawl("http://a.test/", "--sitemaps", "--redis", "redis://127.0.0.1:1/0",
                       "--run-id", "r1", "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "linkspider crawl: --sitemaps does not work in a distributed run (--redis) yet: crawl "
        "the sitemaps in a single-process run"]


def test_a_resumed_run_fetches_the_rest_of_the_sitemap_and_writes_each_row_once(web, tmp_path: Path) -> None:
    args = [*local_web_args(web.proxy_url, tmp_path, "--sitemaps"), "--run-id", "short"]
    first = run_crawl("http://sitemapped.test/", *args, "-s", "CLOSESPIDER_PAGECOUNT=8")
    assert first.returncode == 1, first.stderr[-3000:]  # ended early
    assert len(pages(tmp_path)) < 33
    assert read_table(tmp_path, "sitemap_urls").num_rows > 0  # so the resumed run has some
    again = run_crawl(*args, "--resume", "short")
    assert again.returncode == 0, again.stderr[-3000:]
    urls = read_table(tmp_path, "pages").column("url").to_pylist()
    assert len(urls) == len(set(urls)) == 33
    listed = [(r["url"], r["sitemap"]) for r in read_table(tmp_path, "sitemap_urls").to_pylist()]
    assert len(listed) == len(set(listed)) == 32


class RefreshHandler(LoopbackHandler):
    """``/`` refreshes to ``/next`` and links ``/gone`` (a 404)."""

    def answer(self) -> None:
        if self.path == "/":
            self.reply(200, b'<meta http-equiv="refresh" content="0; url=/next"><a href="/gone">x</a>')
        elif self.path == "/gone":
            self.reply(404, b"gone")
        else:
            self.reply(200, b"<p>next</p>", "text/html" if self.path == "/next" else "text/plain")


def test_discovered_by_says_seed_link_or_redirect_on_every_row(tmp_path: Path) -> None:
    with serving(RefreshHandler) as server:
        result = run_crawl(server.url, "--out", str(tmp_path), "--allow-private-addresses",
                           "--no-throttle", "--log-level", "WARNING")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert {u.rsplit("/", 1)[1]: r["discovered_by"] for u, r in pages(tmp_path).items()} == {
        "": "seed", "next": "redirect", "gone": "link"}
