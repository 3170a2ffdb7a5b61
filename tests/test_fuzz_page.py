"""Fuzzing the per-page path: no input makes an exception escape, every row fits the schema."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import HealthCheck, given, settings

from tests.fuzzing import page_inputs, page_rows


def assert_one_row_for_the_response(pages: pa.Table) -> None:
    """The response has exactly one row, the first; any other row is a link target the crawl
    did not fetch (over URLLENGTH_LIMIT), never a second row of the response."""
    rows = pages.to_pylist()
    assert rows and rows[0]["drop_reason"] != "url_too_long"
    assert [r["drop_reason"] for r in rows[1:]] == ["url_too_long"] * (len(rows) - 1)
    assert rows[0]["url"] not in {r["url"] for r in rows[1:]}


# A fixed seed in the suite: every run tries the same inputs (the long random runs are
# bench/fuzz_page.py's). Each input gets a spider of its own (tests/fuzzing.py).
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None, derandomize=True)  # fmt: skip
@given(page_inputs())
def test_any_response_becomes_rows_of_the_schema(case: tuple[bytes, dict[str, str], str]) -> None:
    body, headers, url = case
    try:
        pages, links = page_rows(body, headers, url)
    except ValueError as exc:  # a URL no request can have: Scrapy refuses it before fetching
        assert "url" in str(exc).lower()
        return
    assert_one_row_for_the_response(pages)
    assert links.num_rows >= pages.column("links_count")[0].as_py()


def test_a_link_over_the_url_length_limit_gives_the_same_rows_every_time() -> None:
    # Found by the fuzzer (a FlakyFailure): with one spider shared by every input, the link's
    # url_too_long row came the first time only, so the replayed input passed.
    url = "http://www.news-1.com/" + "\U0001f600\u00e9\ufffd" * 13
    body = b'<html><body><a href="' + b"x" * 2100 + b'">long</a></body></html>'
    first, again = (page_rows(body, {"Content-Type": "text/html"}, url)[0] for _ in range(2))
    assert_one_row_for_the_response(first)
    rows = [[(r["url"], r["status"], r["drop_reason"]) for r in t.to_pylist()] for t in (first, again)]
    assert rows[0] == rows[1] and [reason for _, _, reason in rows[0]] == [None, "url_too_long"]


def test_a_canonical_to_another_site_keeps_the_page() -> None:
    # Found by the fuzzer: the link-context pass indexed the canonical row as a body link.
    body = (b"<html><head><link rel=canonical href=http://other.example/></head>"
            b"<body><p>see <a href=/x>x</a> here</p></body></html>")  # fmt: skip
    pages, links = page_rows(body, {"Content-Type": "text/html"}, "http://www.news-1.com/a")
    assert pages.column("canonical_url").to_pylist() == ["http://other.example/"]
    assert links.column("link_kind").to_pylist() == ["a", "canonical"]
