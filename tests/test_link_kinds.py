"""Head link kinds (alternate, amphtml, pagination) and the HTTP Link header: the pure
extraction and header parsing on small inputs, then one crawl of ``LinkKindsWeb`` through the
real engine with the Parquet read back, the report's hreflang section and the manual's query."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from linkspider.extraction.headers import MAX_HEADER_LINKS, add_header_links, header_canonical, parse_link_header
from linkspider.extraction.page import extract_page
from linkspider.web import LocalWebProcess
from linkspider.web.linkkinds import MISSING_RETURN, LinkKindsWeb
from tests.conftest import PROJECT_ROOT
from tests.crawling import local_web_args, read_table, run_crawl, run_linkspider

HEAD = """<html><head><title>t</title>
<link rel="canonical" href="/self">
<link rel="alternate" hreflang=" de " href="/de/">
<link rel="alternate" type="application/rss+xml" href="/feed.rss">
<link rel="alternate" media="only screen and (max-width: 640px)" href="http://m.a.com/">
<link rel="amphtml" href="/amp">
<link rel="next" href="/p/2"><link rel="prev" href="/p/0">
<link rel="stylesheet" href="/s.css"><link rel="icon" href="/i.png">
<meta http-equiv="refresh" content="5; url=/later">
</head><body><a href="/x">x</a></body></html>"""


def test_head_links_are_rows_of_their_kind_between_body_links_and_the_canonical() -> None:
    page = extract_page(HEAD)
    rows = list(zip(page.kinds, page.hrefs, page.rels, page.hreflangs, page.type_attrs, page.media_attrs))
    assert rows == [
        ("a", "/x", None, None, None, None),
        ("alternate", "/de/", "alternate", "de", None, None),
        ("alternate", "/feed.rss", "alternate", None, "application/rss+xml", None),
        ("alternate", "http://m.a.com/", "alternate", None, None, "only screen and (max-width: 640px)"),
        ("amphtml", "/amp", "amphtml", None, None, None),
        ("pagination", "/p/2", "next", None, None, None),
        ("pagination", "/p/0", "prev", None, None, None),
        ("canonical", "/self", None, None, None, None),
        ("meta_refresh", "/later", None, None, None, None),
    ]
    assert page.positions == [0] + [None] * 8
    assert page.tags[1:8] == ["link"] * 7 and set(page.regions[1:]) == {"head"}
    assert page.hreflang_alternates == [("de", "/de/")]
    assert page.hrefs[page.canonical_at] == "/self" and page.hrefs[page.meta_refresh_at] == "/later"


def test_the_link_header_gives_links_with_rel_and_hreflang() -> None:
    links, ignored = parse_link_header([
        '<https://a.com/>; rel="canonical", <https://a.com/de>; rel="alternate"; hreflang="de"',
        '</fr>; REL=alternate; hreflang=fr; type="text/html"; media="print", <https://a.com/q?a=1,2>; rel=next',
    ])  # fmt: skip
    assert [tuple(link) for link in links] == [
        ("https://a.com/", "canonical", None, None, None),
        ("https://a.com/de", "alternate", "de", None, None),
        ("/fr", "alternate", "fr", "text/html", "print"),
        ("https://a.com/q?a=1,2", "next", None, None, None),
    ]
    assert ignored == 0


@pytest.mark.parametrize("value, expected, ignored", [
    ("", [], 0),
    ("rel=canonical", [], 1),
    ("<https://a.com/", [], 1),
    ('<https://a.com/>; rel="canon', [], 1),
    (", ,<https://a.com/>;;rel=next;=x;hreflang", [("https://a.com/", "next", None)], 0),
    ('nonsense, <https://b.com/>; rel="a;b,c"', [("https://b.com/", "a;b,c", None)], 1),
    ("<>; rel=next, \x00\xff", [("", "next", None)], 1),
])  # fmt: skip
def test_a_malformed_link_header_is_skipped_and_counted(value: str, expected: list, ignored: int) -> None:
    links, count = parse_link_header([value])
    assert [(link.href, link.rel, link.hreflang) for link in links] == expected
    assert count == ignored


def test_the_link_header_is_bounded() -> None:
    links, ignored = parse_link_header([", ".join(f"</p{i}>; rel=next" for i in range(MAX_HEADER_LINKS + 5))])
    assert len(links) == MAX_HEADER_LINKS and ignored == 5


def test_header_rows_come_last_and_resolve_against_the_page_url() -> None:
    page = extract_page('<head><base href="http://elsewhere.com/"><link rel=canonical href=/c>'
                        '<meta http-equiv=refresh content="0;url=/r"></head><a href=/x>x</a>')  # fmt: skip
    assert add_header_links(page, "http://a.com/dir/page", ["<../hc>; rel=canonical", "bad"]) == 1
    assert page.kinds[-1] == "http_header" and page.hrefs[-1] == "http://a.com/hc"
    assert page.tags[-1] is None and page.regions[-1] is None and page.positions[-1] is None
    assert page.hrefs[page.canonical_at] == "/c" and page.hrefs[page.meta_refresh_at] == "/r"
    assert header_canonical(page) == len(page) - 1


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kinds")
    source = LinkKindsWeb()
    with LocalWebProcess(source) as web:
        result = run_crawl(*source.seeds(), *local_web_args(web.proxy_url, out, "--run-id", "kinds", "--quiet"))
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def _links(out: Path) -> list[dict]:
    return read_table(out, "links").to_pylist()


def test_a_crawl_records_every_alternate_amp_pagination_and_header_link(crawled: Path) -> None:
    rows = {(r["source_url"], r["link_kind"], r["target_url"], tuple(r["rel"]), r["hreflang"], r["type_attr"],
             r["media_attr"]) for r in _links(crawled) if r["link_kind"] not in ("a", "canonical")}  # fmt: skip
    h, fr = "http://hreflang.test", "http://hreflang.test/fr/"
    expected_fr = {
        (fr, "alternate", fr, ("alternate",), "fr", None, None),
        (fr, "alternate", f"{h}/en/", ("alternate",), "en", None, None),
        (fr, "alternate", f"{h}/fr/feed.rss", ("alternate",), None, "application/rss+xml", None),
        (fr, "alternate", f"{h}/fr/feed.atom", ("alternate",), None, "application/atom+xml", None),
        (fr, "alternate", f"{h}/fr/print", ("alternate",), None, None, "print"),
        (fr, "amphtml", f"{h}/fr/amp", ("amphtml",), None, None, None),
        (fr, "pagination", f"{h}/fr/2", ("next",), None, None, None),
    }
    assert {r for r in rows if r[0] == fr} == expected_fr
    assert (f"{h}/fr/2", "pagination", fr, ("prev",), None, None, None) in rows
    hreflang_rows = {(r[0], r[4], r[2]) for r in rows if r[0].startswith(h) and r[4]}
    assert len(hreflang_rows) == 4 + 3 + 2
    assert {r for r in rows if r[1] == "http_header"} == {
        ("http://headers.test/", "http_header", "http://headers.test/", ("canonical",), None, None, None),
        ("http://headers.test/", "http_header", "http://headers.test/de", ("alternate",), "de", None, None),
        ("http://headers.test/", "http_header", "http://headers.test/x", ("next",), None, None, None),
        ("http://headers.test/de", "http_header", "http://headers.test/elsewhere", ("canonical",), None, None, None),
        ("http://headers.test/de", "http_header", "http://headers.test/", ("alternate",), "en", None, None),
    }


def test_the_header_canonical_counts_only_when_the_html_gives_none(crawled: Path) -> None:
    pages = {r["final_url"]: r for r in read_table(crawled, "pages").to_pylist()}
    assert pages["http://headers.test/"]["canonical_url"] == "http://headers.test/"
    assert pages["http://headers.test/"]["note"] == "Link header: 1 part(s) ignored"
    assert pages["http://headers.test/de"]["canonical_url"] == "http://headers.test/de"
    assert pages["http://hreflang.test/en/"]["canonical_url"] is None
    # The alternates, feeds and pagination were followed.
    assert {"http://hreflang.test/fr/2", "http://hreflang.test/fr/amp", "http://headers.test/x"} <= set(pages)


def test_the_report_and_the_manual_find_exactly_the_missing_return_link(crawled: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = run_linkspider("report", "--out", str(crawled), "--run", "kinds", "--json", str(report),
                            "--html", str(tmp_path / "report.html"))  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    section = json.loads(report.read_text())["hreflang_no_return"]
    page, lang, alternate = MISSING_RETURN
    assert section["total"] == 1
    assert section["rows"] == [{"page": page, "hreflang": lang, "alternate": alternate, "alternate_status": 200}]
    assert 'data-table="hreflang_no_return"' in (tmp_path / "report.html").read_text()
    manual = (PROJECT_ROOT / "docs" / "crawling.md").read_text(encoding="utf-8")
    (query,) = [q for q in re.findall(r'duckdb\.sql\("""(.*?)"""\)', manual, re.S) if "hreflang" in q]
    rows = duckdb.connect().execute(query.replace("output/", f"{crawled}/")).fetchall()
    assert rows == [MISSING_RETURN]
