"""Politeness by default: private addresses refused, robots.txt read first, an honest UA."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.crawling import read_table, run_crawl


class RecordingServer(ThreadingHTTPServer):
    """A loopback HTTP server that records each request's path and User-Agent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        super().__init__(("127.0.0.1", 0), RecordingHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class RecordingHandler(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.server.requests.append((self.path, self.headers.get("User-Agent", "")))
        if self.path == "/robots.txt":
            body, ctype = b"User-agent: *\nDisallow: /secret\n", "text/plain"
        else:
            body = b'<a href="/page">page</a> <a href="/secret">secret</a>'
            ctype = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_loopback_address_is_refused_by_default(server: RecordingServer, tmp_path: Path) -> None:
    result = run_crawl(server.url, "--out", str(tmp_path), "--log-level", "WARNING")
    assert result.returncode == 0, result.stderr[-2000:]
    assert server.requests == []
    (page,) = read_table(tmp_path, "pages").to_pylist()
    assert "not a public address" in page["error"]
    assert "--allow-private-addresses" in page["error"]


def test_localhost_name_is_refused_by_default(server: RecordingServer, tmp_path: Path) -> None:
    url = server.url.replace("127.0.0.1", "localhost")
    run_crawl(url, "--out", str(tmp_path), "--log-level", "WARNING")
    assert server.requests == []
    (page,) = read_table(tmp_path, "pages").to_pylist()
    assert "loopback name" in page["error"]


def test_allowed_crawl_reads_robots_first_and_sends_an_honest_user_agent(
    server: RecordingServer, tmp_path: Path
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


def test_host_name_resolving_to_loopback_is_refused(server: RecordingServer, tmp_path: Path) -> None:
    name = _hosts_file_name_for_loopback()
    if name is None:
        pytest.skip("no name other than localhost maps to 127.0.0.1 in /etc/hosts")
    url = server.url.replace("127.0.0.1", name)
    result = run_crawl(url, "--out", str(tmp_path), "--log-level", "WARNING")
    assert result.returncode == 0, result.stderr[-2000:]
    assert server.requests == []
    (page,) = read_table(tmp_path, "pages").to_pylist()
    assert f"{name} resolves to 127.0.0.1, which is not a public address" in page["error"]
