"""Requests go out with the URL recorded in ``links.target_url``, so pages join links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawling import LoopbackHandler, LoopbackServer, read_table, run_crawl, serving

HOME = (b'<a href="/a|b?x=[1]">pipe</a> <a href="/q?b=2&amp;a=1">q1</a> '
        b'<a href="/q?a=1&amp;b=2">q2</a> <a href="/go">moved</a> <a href="/q?a=1&amp;b=2">again</a> '
        b'<a href="/dir/go">relative</a>')  # fmt: skip


class PathHandler(LoopbackHandler):
    """``/`` links odd URLs, ``/go`` redirects to a path with a space, the rest are leaves."""

    def answer(self) -> None:
        if self.path == "/go":
            self.reply(301, Location="/dest page?k=[v]")
        elif self.path == "/dir/go":  # relative, and not UTF-8 (http.server sends Latin-1)
            self.reply(302, Location="../caf\u00e9 au lait?q=[1]")
        elif self.path == "/robots.txt":
            self.reply(200, b"User-agent: *\nAllow: /\n", "text/plain")
        else:
            self.reply(200, HOME if self.path == "/" else b"<p>leaf</p>")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serving(PathHandler) as server:
        yield server


def crawl(server: LoopbackServer, out: Path, *extra: str) -> tuple[list[dict], list[dict]]:
    result = run_crawl(server.url, "--out", str(out), "--allow-private-addresses",
                       "--no-throttle", "--log-level", "WARNING", *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return read_table(out, "pages").to_pylist(), read_table(out, "links").to_pylist()


def test_requests_use_the_recorded_url_and_pages_join_links(server: LoopbackServer, tmp_path: Path) -> None:
    pages, links = crawl(server, tmp_path)
    # Sent exactly as normalized: no %7C or %5B re-quoting; both query orders are pages.
    assert sorted(p for p in server.paths if p.startswith(("/a", "/q"))) == [
        "/a|b?x=[1]", "/q?a=1&b=2", "/q?b=2&a=1"]  # fmt: skip
    page_urls = {p["url"] for p in pages}
    body_targets = {link["target_url"] for link in links if link["link_kind"] == "a"}
    assert body_targets <= page_urls  # every followed link has its page row, by equality
    (moved,) = [p for p in pages if p["url"] == server.url + "go"]
    # The Location header is read as a browser reads it (space quoted, brackets kept, not
    # Scrapy's %5B): the recorded hop, the page's final URL and the request sent agree.
    assert moved["final_url"] == server.url + "dest%20page?k=[v]"
    (hop,) = [link for link in links
              if link["link_kind"] == "redirect" and link["source_url"] == moved["url"]]  # fmt: skip
    assert hop["target_url"] == moved["final_url"]
    assert "/dest%20page?k=[v]" in server.paths
    (relative,) = [p for p in pages if p["url"] == server.url + "dir/go"]
    assert relative["final_url"] == server.url + "caf%C3%A9%20au%20lait?q=[1]"
    assert "/caf%C3%A9%20au%20lait?q=[1]" in server.paths


def test_scrapy_quoting_when_verbatim_urls_are_off(server: LoopbackServer, tmp_path: Path) -> None:
    crawl(server, tmp_path, "-s", "LINKSPIDER_VERBATIM_URLS=False")
    assert "/a%7Cb?x=%5B1%5D" in server.paths
    assert server.paths.count("/q?a=1&b=2") + server.paths.count("/q?b=2&a=1") == 1
