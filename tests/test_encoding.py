"""A page's encoding is Scrapy's decision, made once, with where it came from."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from linkspider.extraction.encoding import parser_input, response_encoding

CASES = [
    # (body, Content-Type, expected source)
    (b"\xef\xbb\xbf<p>caf\xc3\xa9", "text/html; charset=iso-8859-1", "bom"),
    (b"\xff\xfe<\x00p\x00>\x00", "text/html", "bom"),
    (b"<p>caf\xe9", "text/html; charset=ISO-8859-1", "http_header"),
    (b"<p>caf\xc3\xa9", "text/html; charset=utf-8", "http_header"),
    (b"<p>\xd6\xd0\xce\xc4", "text/html;charset=GB2312", "http_header"),
    (b"<p>x", "text/html; charset=no-such-codec", "detection"),
    (b'<meta charset="windows-1251"><p>\xcf\xf0', "text/html", "meta"),
    (b'<meta charset="windows-1251"><p>\xcf\xf0', "text/html; charset=koi8-r", "http_header"),
    (b"<p>caf\xc3\xa9", "text/html", "detection"),
    (b"", "text/html", "detection"),
]


@pytest.mark.parametrize(("body", "content_type", "source"), CASES)
def test_encoding_is_scrapys_with_its_source(body: bytes, content_type: str, source: str) -> None:
    headers = {"Content-Type": content_type}
    first = HtmlResponse("http://a.com/", body=body, headers=headers)
    again = HtmlResponse("http://a.com/", body=body, headers=headers)
    expected = HtmlResponse("http://a.com/", body=body, headers=headers).encoding
    # The second call answers from the per-process Content-Type memo: same answer.
    assert response_encoding(first) == (expected, source)
    assert response_encoding(again) == (expected, source)


def test_an_encoding_given_to_the_response_is_declared() -> None:
    response = HtmlResponse("http://a.com/", body=b"<p>\xe9", encoding="latin-1",
                            headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    assert response_encoding(response) == (response.encoding, "declared")


def test_parser_reads_utf8_bytes_and_decoded_text_otherwise() -> None:
    utf8 = HtmlResponse("http://a.com/", body=b"<p>caf\xc3\xa9",
                        headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip
    latin = HtmlResponse("http://a.com/", body=b"<p>caf\xe9",
                         headers={"Content-Type": "text/html; charset=latin-1"})  # fmt: skip
    assert parser_input(utf8, response_encoding(utf8)[0]) == b"<p>caf\xc3\xa9"
    assert parser_input(latin, response_encoding(latin)[0]) == "<p>café"


def test_canonical_url_is_its_link_rows_url_with_the_query_in_the_pages_charset() -> None:
    from scrapy.settings import Settings
    from scrapy.utils.test import get_crawler

    from linkspider.crawl.items import PageItem
    from linkspider.spiders.backlinks import BacklinksSpider

    settings = Settings()
    settings.setmodule("linkspider.settings")
    own = {k: v for k, v in settings.copy_to_dict().items() if k.startswith("LINKSPIDER_")}
    spider = BacklinksSpider.from_crawler(get_crawler(BacklinksSpider, own), seeds="http://a.com/")
    body = '<link rel=canonical href="/caf\u00e9?q=cr\u00e8me#top"><a href=/x>x</a>'.encode("latin-1")
    response = HtmlResponse("http://a.com/p", body=body, request=Request("http://a.com/p"),
                            headers={"Content-Type": "text/html; charset=ISO-8859-1"})  # fmt: skip
    (item,) = [r for r in spider.parse_page(response) if isinstance(r, PageItem)]
    at = item.raw.kinds.index("canonical")
    # Path in UTF-8, query in the page's charset, as a browser resolves it; no fragment.
    assert item.page["canonical_url"] == "http://a.com/caf%C3%A9?q=cr%E8me"
    assert item.links["target_url"][at] == item.page["canonical_url"]
