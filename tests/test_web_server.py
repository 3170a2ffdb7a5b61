"""Specification of the local proxy server (connections go to 127.0.0.1 only)."""

from __future__ import annotations

import argparse
import http.client
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkspider.web.server import LocalWeb, LocalWebProcess, StaticSite, add_web_arguments
from linkspider.web.world import World, WorldConfig


@pytest.fixture(autouse=True)
def _proxy_is_never_bypassed(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib skips the proxy for no_proxy hosts and would then resolve the name itself.
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(sites=8))


@pytest.fixture(scope="module")
def web(world: World) -> Iterator[LocalWeb]:
    with LocalWeb(world) as running:
        yield running


def raw_exchange(port: int, request: bytes, reads_until_close: bool = True) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
            if not reads_until_close:
                break
        return b"".join(chunks)


def proxy_opener(proxy_url: str) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_url}))


def test_proxy_answers_absolute_form_requests_for_any_world_host(web: LocalWeb, world: World) -> None:
    opener = proxy_opener(web.proxy_url)
    for site in world.sites:
        with opener.open(site.home_url, timeout=5) as response:
            assert response.status == 200
            assert response.read() == world.respond(site.host, "/").body


def test_absolute_form_host_wins_over_host_header_and_port_is_stripped(web: LocalWeb, world: World) -> None:
    reply = raw_exchange(web.port, b"GET http://WWW.NEWS-1.COM:80/page-2.html HTTP/1.1\r\n"
                                   b"Host: www.site-6.org\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert reply.endswith(world.respond("www.news-1.com", "/page-2.html").body)


def test_origin_form_uses_the_host_header(web: LocalWeb, world: World) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request("GET", "/page-3.html", headers={"Host": "www.news-1.com:8080"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.read() == world.respond("www.news-1.com", "/page-3.html").body
    connection.close()


def test_keep_alive_serves_two_requests_on_one_connection(web: LocalWeb) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request("GET", "http://www.news-1.com/")
    first = connection.getresponse()
    first.read()
    sock = connection.sock
    connection.request("GET", "http://www.news-1.com/page-1.html")
    second = connection.getresponse()
    second.read()
    assert (first.status, second.status) == (200, 200)
    assert connection.sock is sock and first.getheader("Connection") == "keep-alive"
    connection.close()


def test_pipelined_requests_are_answered_in_order(web: LocalWeb) -> None:
    request = (b"GET http://www.news-1.com/robots.txt HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET http://www.news-1.com/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    reply = raw_exchange(web.port, request)
    assert reply.index(b"HTTP/1.1 200 OK") < reply.index(b"HTTP/1.1 404 Not Found")


def test_unknown_host_gets_502(web: LocalWeb) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        proxy_opener(web.proxy_url).open("http://www.google.com/", timeout=5)
    assert caught.value.code == 502
    assert b"not part of this local web" in caught.value.read()


def test_connect_gets_501(web: LocalWeb) -> None:
    reply = raw_exchange(web.port, b"CONNECT www.news-1.com:443 HTTP/1.1\r\nHost: www.news-1.com:443\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 501 ")
    assert b"serves http only" in reply


def test_head_sends_headers_without_body(web: LocalWeb, world: World) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request("HEAD", "http://www.news-1.com/logo.png")
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b""
    assert int(response.getheader("Content-Length")) == len(world.respond("www.news-1.com", "/logo.png").body)
    connection.request("GET", "http://www.news-1.com/logo.png")  # the connection is still usable
    assert connection.getresponse().read().startswith(b"\x89PNG")
    connection.close()


def test_request_bodies_are_skipped(web: LocalWeb) -> None:
    request = (b"POST http://www.news-1.com/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
               b"GET http://www.news-1.com/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    reply = raw_exchange(web.port, request)
    assert reply.startswith(b"HTTP/1.1 405 ") and b"HTTP/1.1 200 OK" in reply


def test_redirects_are_passed_through(web: LocalWeb) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request("GET", "http://www.news-1.com/go/2")
    response = connection.getresponse()
    response.read()
    assert response.status == 302 and response.getheader("Location") == "/old/page-2.html"
    connection.close()


def test_x_robots_tag_and_charset_headers_reach_the_client(web: LocalWeb, world: World) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    connection.request("GET", "http://shop.store-2.co.uk/page-4.html")  # site index 1: X-Robots-Tag
    response = connection.getresponse()
    response.read()
    assert response.getheader("X-Robots-Tag") == "nofollow"
    connection.request("GET", "http://www.news-1.com/page-2.html")  # site index 0: windows-1251 header
    response = connection.getresponse()
    response.read()
    assert response.getheader("Content-Type") == "text/html; charset=windows-1251"
    connection.close()


def test_concurrent_clients(web: LocalWeb) -> None:
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            opener = proxy_opener(web.proxy_url)
            for k in range(1, 10):
                opener.open(f"http://www.site-6.org/page-{k}.html", timeout=5).read()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_stop_closes_the_port_and_joins_the_thread(world: World) -> None:
    before = threading.active_count()
    web = LocalWeb(world).start()
    port = web.port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "http://www.news-1.com/")
    connection.getresponse().read()  # leaves an idle keep-alive connection open
    web.stop()
    assert threading.active_count() == before
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    connection.close()


def test_refuses_to_bind_a_non_loopback_address(world: World) -> None:
    with pytest.raises(ValueError):
        LocalWeb(world, host="0.0.0.0")


def test_urls(web: LocalWeb) -> None:
    assert web.url == web.proxy_url == f"http://127.0.0.1:{web.port}"


# ----------------------------------------------------------------------------- static mode


@pytest.fixture()
def static_web(tmp_path: Path) -> Iterator[LocalWeb]:
    root = tmp_path / "site"
    (root / "docs").mkdir(parents=True)
    (root / "index.html").write_text('<a href="/docs/">Docs</a>', encoding="utf-8")
    (root / "docs" / "index.html").write_text("docs index", encoding="utf-8")
    (root / "style.css").write_text("body {}", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("top secret", encoding="utf-8")
    with LocalWeb(StaticSite(root, "Static.Example")) as running:
        yield running


def get(port: int, target: str, host: str = "static.example") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", target, headers={"Host": host})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_static_mode_serves_index_and_files(static_web: LocalWeb) -> None:
    assert get(static_web.port, "/")[2] == b'<a href="/docs/">Docs</a>'
    assert get(static_web.port, "/docs/")[2] == b"docs index"
    status, headers, _ = get(static_web.port, "http://static.example/style.css")
    assert status == 200 and headers["content-type"] == "text/css"


def test_static_mode_redirects_directories_to_a_trailing_slash(static_web: LocalWeb) -> None:
    status, headers, _ = get(static_web.port, "/docs")
    assert status == 301 and headers["location"] == "/docs/"


def test_static_mode_404_for_missing_files_and_robots(static_web: LocalWeb) -> None:
    assert get(static_web.port, "/nope.html")[0] == 404
    assert get(static_web.port, "/robots.txt")[0] == 404


def test_static_mode_refuses_path_traversal(static_web: LocalWeb) -> None:
    for target in ("/../secret.txt", "/docs/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"):
        status, _, body = get(static_web.port, target)
        assert status == 403, target
        assert b"top secret" not in body


def test_static_mode_other_hosts_get_502(static_web: LocalWeb) -> None:
    assert get(static_web.port, "/", host="www.news-1.com")[0] == 502


# ----------------------------------------------------------------------------- process mode and CLI


def test_process_mode_serves_from_another_process() -> None:
    with LocalWebProcess(World(WorldConfig(sites=2))) as web:
        assert web.proxy_url == f"http://127.0.0.1:{web.port}"
        with proxy_opener(web.proxy_url).open("http://www.news-1.com/robots.txt", timeout=5) as response:
            assert response.read() == b"User-agent: *\nDisallow: /private/\n"


def test_cli_arguments_have_documented_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_web_arguments(parser)
    args = parser.parse_args([])
    assert (args.port, args.bind, args.static, args.ground_truth) == (8899, "127.0.0.1", None, None)
    args = parser.parse_args(["--seed", "3", "--sites", "5", "--pages-per-site", "4", "--static", "d",
                              "--static-host", "h.example", "--ground-truth", "gt"])
    assert (args.seed, args.sites, args.pages_per_site, args.static_host) == (3, 5, 4, "h.example")
