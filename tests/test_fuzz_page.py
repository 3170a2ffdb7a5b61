"""Fuzzing the per-page path: no input makes an exception escape, every row fits the schema."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.fuzzing import page_inputs, page_rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)  # fmt: skip
@given(page_inputs())
def test_any_response_becomes_rows_of_the_schema(case: tuple[bytes, dict[str, str], str]) -> None:
    body, headers, url = case
    try:
        pages, links = page_rows(body, headers, url)
    except ValueError as exc:  # a URL no request can have: Scrapy refuses it before fetching
        assert "url" in str(exc).lower()
        return
    assert pages.num_rows == 1
    assert links.num_rows >= pages.column("links_count")[0].as_py()


def test_a_canonical_to_another_site_keeps_the_page() -> None:
    # Found by the fuzzer: the link-context pass indexed the canonical row as a body link.
    body = (b"<html><head><link rel=canonical href=http://other.example/></head>"
            b"<body><p>see <a href=/x>x</a> here</p></body></html>")  # fmt: skip
    pages, links = page_rows(body, {"Content-Type": "text/html"}, "http://www.news-1.com/a")
    assert pages.column("canonical_url").to_pylist() == ["http://other.example/"]
    assert links.column("link_kind").to_pylist() == ["a", "canonical"]
