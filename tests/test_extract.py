"""Extraction and normalization on hand-written pages, and on Scrapy's LinkExtractor samples.

Pages go through ``scrapy.http.HtmlResponse`` where decoding matters, so the test decodes the
bytes the way the crawl does (HTTP header, BOM, meta charset, then detection).
"""

from __future__ import annotations

import pytest

from typing import Any

from scrapy.http import HtmlResponse

from linkspider.extraction.page import extract_page
from linkspider.extraction.links import describe_links, resolve_links
from linkspider.extraction.encoding import parser_input
from linkspider.urls.domains import registrable_domain
from linkspider.urls.normalize import url_host
from tests.conftest import vendored_file


def links_of(body: bytes | str, url: str = "http://a.com/dir/page.html", **headers: str) -> list[dict[str, Any]]:
    """Return the normalized links of a page as a list of row dicts, as the crawl computes them."""
    if isinstance(body, str):
        body = body.encode("utf-8")
        headers.setdefault("Content-Type", "text/html; charset=utf-8")
    response = HtmlResponse(url=url, body=body, headers=headers)
    page = extract_page(parser_input(response))
    cols = resolve_links(response.url, page.base_href, page.hrefs, response.encoding)
    cols.update(
        describe_links(page.texts, page.alts, page.rels, cols["target_domain"],
                       registrable_domain(url_host(url)))
    )  # fmt: skip
    cols["tag"] = page.tags
    return [dict(zip(cols, values)) for values in zip(*cols.values())]


def test_relative_links_resolve_against_base_href() -> None:
    rows = links_of('<base href="http://a.com/section/"><a href="x.html">X</a><a href="/y">Y</a>')
    assert [r["target_url"] for r in rows] == ["http://a.com/section/x.html", "http://a.com/y"]


def test_relative_base_href_resolves_against_the_page() -> None:
    rows = links_of('<base href="../other/"><a href="x.html">X</a>')
    assert rows[0]["target_url"] == "http://a.com/other/x.html"


def test_first_base_href_wins_even_in_body() -> None:
    rows = links_of('<body><base href="/one/"><base href="/two/"><a href="x">X</a></body>')
    assert rows[0]["target_url"] == "http://a.com/one/x"


def test_entities_and_odd_whitespace_in_anchor_text_are_cleaned() -> None:
    rows = links_of('<a href="/">\n\t Fish&nbsp;&amp;\u3000 <b>chips</b>&#160;&eacute;t&#233; </a>')
    assert rows[0]["anchor_text"] == "Fish & chips été"


def test_anchor_texts_repeated_across_pages_clean_alike_and_the_memo_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linkspider.extraction import links

    monkeypatch.setattr(links, "ANCHOR_MEMO_SIZE", 10)
    monkeypatch.setattr(links, "_ANCHORS", {})
    texts = [f" ｍｅｎｕ\n{i % 30} " for i in range(200)] + ["  ", ""]
    for _ in range(3):  # the same menu on three pages
        got = describe_links(texts, [None] * len(texts), [None] * len(texts),
                             ["a.com"] * len(texts), "a.com")["anchor_text"]  # fmt: skip
        assert got == [f"menu {i % 30}" for i in range(200)] + ["", ""]
    assert len(links._ANCHORS) <= 10 + len(texts)


def test_fullwidth_anchor_text_is_nfkc_normalized() -> None:
    assert links_of('<a href="/">ｆｕｌｌ ｗｉｄｔｈ</a>')[0]["anchor_text"] == "full width"


def test_idn_host_becomes_punycode_and_default_port_is_dropped() -> None:
    row = links_of('<a href="http://BÜCHER-1.de:80/Katalog">Bücher</a>')[0]
    assert row["target_url"] == "http://xn--bcher-1-n2a.de/Katalog"
    assert row["target_host"] == "xn--bcher-1-n2a.de"
    assert row["target_domain"] == "xn--bcher-1-n2a.de"
    assert row["anchor_text"] == "Bücher"


def test_private_suffix_hosts_are_their_own_referring_and_target_domains() -> None:
    row = links_of('<a href="http://bob.github.io/x">Bob</a>', url="http://alice.github.io/")[0]
    assert row["target_domain"] == "bob.github.io"
    assert row["is_external"] is True


def test_subdomain_of_the_same_site_is_not_external() -> None:
    row = links_of('<a href="http://shop.a.com/">shop</a>')[0]
    assert (row["target_domain"], row["is_external"]) == ("a.com", False)


def test_rel_tokens_are_lowercased_and_deduplicated() -> None:
    rows = links_of('<a href="/1" rel=" NoFollow\n UGC nofollow ">1</a><a href="/2">2</a>'
                    '<a href="/3" rel="sponsored noopener">3</a>')  # fmt: skip
    assert [r["rel"] for r in rows] == [["nofollow", "ugc"], [], ["sponsored", "noopener"]]
    assert [(r["nofollow"], r["ugc"], r["sponsored"]) for r in rows] == [
        (True, True, False), (False, False, False), (False, False, True)
    ]  # fmt: skip
    assert [r["follow_reason"] for r in rows] == ["rel_nofollow", "followed", "rel_sponsored"]
    assert [r["follow"] for r in rows] == [False, True, False]


def test_image_link_without_text_uses_alt() -> None:
    row = links_of('<a href="/logo"> <img src="l.png" alt=" Logo  of A "> </a>')[0]
    assert (row["anchor_text"], row["anchor_from_alt"]) == ("Logo of A", True)


def test_image_link_with_text_keeps_the_text() -> None:
    row = links_of('<a href="/logo"><img src="l.png" alt="Logo">Home</a>')[0]
    assert (row["anchor_text"], row["anchor_from_alt"]) == ("Home", False)


def test_image_link_with_empty_alt_has_empty_anchor() -> None:
    row = links_of('<a href="/logo"><img src="l.png" alt=""></a>')[0]
    assert (row["anchor_text"], row["anchor_from_alt"]) == ("", False)


def test_area_links_take_their_alt_as_anchor() -> None:
    row = links_of('<map name="m"><area href="/r" alt="Region one" shape="rect"></map>')[0]
    assert (row["tag"], row["anchor_text"], row["anchor_from_alt"]) == ("area", "Region one", True)


def test_anchors_without_href_are_not_links() -> None:
    rows = links_of('<a name="top">top</a><a href="/x">x</a><a>none</a>')
    assert [r["target_url"] for r in rows] == ["http://a.com/x"]


def test_non_http_schemes_are_recorded_without_host() -> None:
    rows = links_of('<a href="mailto:a@b.c">m</a><a href="tel:+1">t</a>'
                    '<a href="javascript:void(0)">j</a><a href="data:text/plain,hi">d</a>')  # fmt: skip
    assert [r["target_scheme"] for r in rows] == ["mailto", "tel", "javascript", "data"]
    assert {r["target_host"] for r in rows} == {None}
    assert {r["is_external"] for r in rows} == {False}


def test_invalid_href_is_kept_raw_with_scheme_invalid() -> None:
    row = links_of('<a href="http://[::1">broken</a>')[0]
    assert (row["target_url"], row["target_scheme"], row["target_host"]) == (
        "http://[::1", "invalid", None,
    )  # fmt: skip


def test_fragment_is_split_off() -> None:
    rows = links_of('<a href="/x#sec-2">a</a><a href="/x#">b</a><a href="#top">c</a>')
    assert [(r["target_url"], r["target_fragment"]) for r in rows] == [
        ("http://a.com/x", "sec-2"), ("http://a.com/x", ""), ("http://a.com/dir/page.html", "top")
    ]  # fmt: skip


def test_windows_1251_page_declared_in_http_header_decodes_anchors() -> None:
    body = '<a href="/книги">Книги и журналы</a>'.encode("windows-1251")
    row = links_of(body, **{"Content-Type": "text/html; charset=windows-1251"})[0]
    assert row["anchor_text"] == "Книги и журналы"
    assert row["target_url"] == "http://a.com/%D0%BA%D0%BD%D0%B8%D0%B3%D0%B8"


def test_windows_1251_page_declared_in_meta_decodes_anchors() -> None:
    body = ('<html><head><meta charset="windows-1251"></head>'
            '<body><a href="/">Новости</a></body></html>').encode("windows-1251")  # fmt: skip
    assert links_of(body, **{"Content-Type": "text/html"})[0]["anchor_text"] == "Новости"


def test_query_is_encoded_with_the_document_encoding() -> None:
    body = '<a href="/s?q=книги#x">s</a>'.encode("windows-1251")
    row = links_of(body, **{"Content-Type": "text/html; charset=windows-1251"})[0]
    assert row["target_url"] == "http://a.com/s?q=%EA%ED%E8%E3%E8"


def test_meta_robots_and_title_are_read_from_head() -> None:
    page = extract_page('<head><title>\n A  title </title><META NAME="Robots" CONTENT="NoFollow">'
                        '<link rel="Canonical" href="/c"></head>')  # fmt: skip
    assert (page.title, page.meta_robots, page.canonical_href) == ("A title", "NoFollow", "/c")


def test_malformed_html_still_yields_its_links() -> None:
    rows = links_of('<div><a href="/a">one<a href="/b">two</div></span><p><a href=/c>three')
    assert [r["anchor_text"] for r in rows] == ["one", "two", "three"]


# -- Scrapy's LinkExtractor sample pages ------------------------------------------------------
# Scrapy's expectations come from scrapy/tests/test_linkextractors.py. Where we differ on
# purpose, the test says so.


def sample(name: str) -> bytes:
    return vendored_file("scrapy-linkextractor", name).read_bytes()


def test_scrapy_sample_page_links_and_texts() -> None:
    rows = links_of(sample("linkextractor.html"), url="http://example.com/sample.html")
    # Scrapy's default LinkExtractor (unique=True) expects these URLs and texts; we differ on
    # purpose in three ways: we keep every occurrence (a repeated link is another backlink),
    # we keep the fragment (in its own column), and the <area> and the image link without
    # text take their alt text as anchor, where Scrapy gives "".
    expected = [
        ("area", "http://example.com/sample1.html", None, "sample1", True),
        ("a", "http://example.com/sample2.html", None, "sample 2", False),
        ("a", "http://example.com/sample3.html", None, "sample 3 text", False),
        ("a", "http://example.com/sample3.html", None, "sample 3 repetition", False),
        ("a", "http://example.com/sample3.html", None, "sample 3 repetition", False),
        ("a", "http://example.com/sample3.html", "foo", "sample 3 repetition with fragment", False),
        ("a", "http://www.google.com/something", None, "", False),
        ("a", "http://example.com/innertag.html", None, "inner tag", False),
        ("a", "http://example.com/page%204.html", None, "href with whitespaces", False),
    ]
    got = [(r["tag"], r["target_url"], r["target_fragment"], r["anchor_text"],
            r["anchor_from_alt"]) for r in rows]  # fmt: skip
    assert got == expected


def test_scrapy_sample_without_declared_encoding_is_utf8() -> None:
    body = sample("linkextractor_noenc.html")
    for headers in ({"Content-Type": "text/html; charset=utf-8"}, {}):
        rows = links_of(body, url="http://example.com/noenc", **headers)
        assert [(r["target_url"], r["anchor_text"]) for r in rows] == [
            ("http://example.com/sample_%C3%B1.html", "sample2"),  # Scrapy: text ""
            ("http://example.com/sample_%E2%82%AC.html", "sample \u20ac text"),
        ]


def test_scrapy_latin1_sample_encodes_query_but_not_path_in_latin1() -> None:
    # The vendored copy holds UTF-8 bytes under a latin-1 declaration; re-encode its text to get
    # the latin-1 page Scrapy's test uses.
    body = sample("linkextractor_latin1.html").decode("utf-8").encode("latin-1")
    rows = links_of(body, url="http://example.com/latin1")
    assert [(r["target_url"], r["anchor_text"]) for r in rows] == [
        ("http://example.com/sample_%C3%B1.html", "sample2"),  # Scrapy: text ""
        ("http://example.com/sample_%C3%A1.html", "sample \xe1 text"),
        ("http://example.com/sample_%C3%B6.html?price=%A332&%B5=unit", "sample3"),
    ]


def test_scrapy_no_href_sample_skips_anchors_without_href() -> None:
    rows = links_of(sample("linkextractor_no_href.html"), url="http://example.com/quotes")
    assert [r["target_url"] for r in rows] == [
        "http://example.com/author/Albert-Einstein",
        "http://example.com/page/1/",
        "http://example.com/page/3/",
        "http://example.com/page/4/",
    ]


def test_shift_jis_page_decodes_anchors_and_context() -> None:
    body = ('<html><head><meta charset="Shift_JIS"></head><body><p>おすすめ '
            '<a href="http://books.example.jp/">日本語の本</a> です。</p></body></html>').encode("shift_jis")
    response = HtmlResponse(url="http://a.com/", body=body, headers={"Content-Type": "text/html"})
    page = extract_page(response.text)
    assert [clean for clean in page.texts] == ["日本語の本"]
    assert (page.contexts_before, page.contexts_after) == (["おすすめ"], ["です。"])


def test_gb2312_page_declared_in_http_header_decodes_anchors() -> None:
    body = '<a href="/zh">中文书籍</a>'.encode("gb2312")
    row = links_of(body, **{"Content-Type": "text/html; charset=GB2312"})[0]
    assert row["anchor_text"] == "中文书籍"


def test_iso_8859_1_page_decodes_accents() -> None:
    body = '<a href="/cafe">Café crème</a>'.encode("latin-1")
    row = links_of(body, **{"Content-Type": "text/html; charset=ISO-8859-1"})[0]
    assert row["anchor_text"] == "Café crème"


def test_utf8_bodies_are_parsed_as_bytes_exactly_as_decoded_text() -> None:
    """UTF-8 pages skip a decode and re-encode; invalid bytes and a BOM come out as in text."""
    body = "<p>café <a href='/é?q=ü'>naïve \xff link</a></p>".encode("utf-8").replace(b"\xc3\xbf", b"\xff")
    response = HtmlResponse("http://a.com/", body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert isinstance(parser_input(response), bytes)
    (link,) = links_of(body, **{"Content-Type": "text/html; charset=utf-8"})
    assert link["anchor_text"] == "naïve \ufffd link"
    assert link["target_url"] == "http://a.com/%C3%A9?q=%C3%BC"
    from_text = extract_page(response.text)
    from_bytes = extract_page(parser_input(response))
    assert (from_bytes.texts, from_bytes.hrefs, from_bytes.contexts_before, from_bytes.word_count) == (
        from_text.texts, from_text.hrefs, from_text.contexts_before, from_text.word_count)
    with_bom = HtmlResponse("http://a.com/", body=b"\xef\xbb\xbf<a href=/x>bom</a>")
    assert parser_input(with_bom) == "<a href=/x>bom</a>"  # Scrapy strips the BOM
