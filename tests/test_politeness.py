"""Politeness by default: private addresses refused, robots.txt read first, an honest UA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawling import LoopbackHandler, LoopbackServer, read_table, run_crawl, serving


class RobotsHandler(LoopbackHandler):
    """robots.txt disallows /secret; every other path is a page linking /page and /secret."""

    def answer(self) -> None:
        if self.path == "/robots.txt":
            self.reply(200, b"User-agent: *\nDisallow: /secret\n", "text/plain")
        else:
            self.reply(200, b'<a href="/page">page</a> <a href="/secret">secret</a>')


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serving(RobotsHandler) as server:
        yield server


def test_loopback_address_is_refused_by_default(server: LoopbackServer, tmp_path: Path) -> None:
    result = run_crawl(server.url, "--out", str(tmp_path), "--log-level", "WARNING")
    assert result.returncode == 4, result.stderr[-2000:]  # nothing fetched
    assert server.requests == []
    (page,) = read_table(tmp_path, "pages").to_pylist()
    assert "not a public address" in page["error"]
    assert "--allow-private-addresses" in page["error"]


def test_localhost_name_is_refused_by_default(server: LoopbackServer, tmp_path: Path) -> None:
    url = server.url.replace("127.0.0.1", "localhost")
    run_crawl(url, "--out", str(tmp_path), "--log-level", "WARNING")
    assert server.requests == []
    (page,) = read_table(tmp_path, "pages").to_pylist()
    assert "loopback name" in page["error"]


def test_allowed_crawl_reads_robots_first_and_sends_an_honest_user_agent(
    server: LoopbackServer, tmp_path: Path
) -> None:
    result = run_crawl(server.url, "--out", str(tmp_path), "--allow-private-addresses",
                       "--log-level", "WARNING")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    paths = [path for path, _ in server.requests]
    assert paths[0] == "/robots.txt"
    assert sorted(paths[1:]) == ["/", "/page"]  # /secret is disallowed
    assert all(ua.startswith("linkspider/") and "+http" in ua for _, ua in server.requests)
    errors = {p["url"]: p["error"] for p in read_table(tmp_path, "pages").to_pylist()}
    assert "robots.txt" in errors[server.url + "secret"]


def _hosts_file_name_for_loopback() -> str | None:
    """Return a name other than localhost that /etc/hosts maps to 127.0.0.1, if any."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if fields and fields[0] == "127.0.0.1":
            for name in fields[1:]:
                if name != "localhost" and not name.endswith(".localhost"):
                    return name
    return None


def test_host_name_resolving_to_loopback_is_refused(server: LoopbackServer, tmp_path: Path) -> None:
    name = _hosts_file_name_for_loopback()
    if name is None:
        pytest.skip("no name other than localhost maps to 127.0.0.1 in /etc/hosts")
    url = server.url.replace("127.0.0.1", name)
    result = run_crawl(url, "--out", str(tmp_path), "--log-level", "WARNING")
    assert result.returncode == 4, result.stderr[-2000:]  # nothing fetched
    assert server.requests == []
    (page,) = read_table(tmp_path, "pages").to_pylist()
    assert f"{name} resolves to 127.0.0.1, which is not a public address" in page["error"]


def test_every_request_waiting_for_robots_txt_obeys_it(server: LoopbackServer, tmp_path: Path) -> None:
    """Seeds of one host arrive together, while its robots.txt is still downloading: Scrapy
    2.19's own middleware lets all but the first through unchecked (scrapy/scrapy#6802)."""
    seeds = [server.url + "secret", server.url, server.url + "secret?a", server.url + "secret?b"]
    result = run_crawl(*seeds, "--out", str(tmp_path), "--allow-private-addresses",
                       "--log-level", "WARNING")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    paths = [path for path, _ in server.requests]
    assert paths.count("/robots.txt") == 1
    assert not [p for p in paths if p.startswith("/secret")], paths
    errors = {p["url"]: p["error"] for p in read_table(tmp_path, "pages").to_pylist()}
    assert all("robots.txt" in errors[url] for url in seeds if "secret" in url)
