"""The private-address rule, by table and by refusals a recording server never sees.

Every crawl here talks to servers on 127.0.0.1 or ::1, or to the local web's proxy: a request
the rule lets through would reach them (and be recorded), never another machine.
"""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from linkspider.crawl.middlewares import is_public_address, refusal_reason
from tests.crawling import LoopbackHandler, LoopbackServer, local_web_args, read_table, run_crawl, serving

ADDRESSES = [
    # (address, public?)
    ("8.8.8.8", True),
    ("1.1.1.1", True),
    ("127.0.0.1", False),
    ("127.255.255.254", False),
    ("10.0.0.1", False),
    ("172.16.0.1", False),
    ("192.168.1.1", False),
    ("169.254.169.254", False),  # link-local: cloud metadata
    ("100.64.0.1", False),  # carrier-grade NAT
    ("0.0.0.0", False),
    ("224.0.0.1", False),  # multicast
    ("255.255.255.255", False),
    ("192.0.2.1", False),  # documentation
    ("2606:4700:4700::1111", True),
    ("2001:4860:4860::8888", True),
    ("::1", False),  # loopback
    ("::", False),  # unspecified
    ("fe80::1", False),  # link-local
    ("fc00::1", False),  # unique-local
    ("fd12:3456::1", False),
    ("fec0::1", False),  # site-local
    ("ff02::1", False),  # multicast
    ("2001:db8::1", False),  # documentation
    ("::ffff:127.0.0.1", False),  # IPv4-mapped
    ("::ffff:10.0.0.1", False),
    ("::ffff:8.8.8.8", True),
    ("::7f00:1", False),  # IPv4-compatible (deprecated)
    ("::808:808", False),
    ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
    ("2002:808:808::1", True),
    ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", False),
    ("64:ff9b::808:808", True),
    ("64:ff9b:1::a00:1", False),  # local-use NAT64
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo
    ("2001:4860::5efe:7f00:1", False),  # ISATAP around 127.0.0.1
    ("2001:4860::200:5efe:a00:1", False),
    ("2001:4860::200:5efe:808:808", True),
    ("[::1]", False),
]


@pytest.mark.parametrize(("address", "public"), ADDRESSES, ids=[a for a, _ in ADDRESSES])
def test_address_rule(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize("host", ["localhost", "a.localhost", "127.0.0.1", "::ffff:7f00:1",
                                  "fec0::1", "169.254.169.254"])  # fmt: skip
def test_refusal_reason_names_the_host(host: str) -> None:
    reason = refusal_reason(host)
    assert reason is not None and host in reason


class Page(LoopbackHandler):
    def answer(self) -> None:
        self.reply(200, b"<a href='/next'>next</a>")


class IPv6Server(LoopbackServer):
    address_family = socket.AF_INET6

    def __init__(self, handler: type) -> None:
        self.requests = []
        ThreadingHTTPServer.__init__(self, ("::1", 0), handler)

    @property
    def url(self) -> str:
        return f"http://[::1]:{self.server_address[1]}/"


@pytest.fixture
def v6_server():
    server = IPv6Server(Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_private_forms_are_refused_before_any_connection(tmp_path: Path, v6_server) -> None:
    with serving(Page) as server:
        port = server.server_address[1]
        seeds = [f"http://{host}:{port}/" for host in (
            "127.0.0.1", "0x7f.1", "0177.0.0.1", "2130706433", "127.1", "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]", "runsc", "localhost")]  # fmt: skip
        seeds.append(v6_server.url)
        result = run_crawl(*seeds, "--out", str(tmp_path), "--no-throttle", "--log-level", "WARNING")
    assert result.returncode == 4, result.stderr  # nothing fetched
    assert server.requests == [] and v6_server.requests == []
    rows = read_table(tmp_path, "pages").to_pylist()
    # Every IPv4 spelling is http://127.0.0.1:port/ once parsed as a browser does (and both
    # mapped forms http://[::ffff:7f00:1]:port/): one row each.
    assert sorted(row["host"] for row in rows) == sorted(
        ["127.0.0.1", "[::ffff:7f00:1]", "runsc", "localhost", "[::1]"])
    assert [row["error"] for row in rows if "refused http" not in row["error"]] == []
    assert all("allow-private-addresses" in row["error"] for row in rows)
    by_host = {row["host"]: row["error"] for row in rows}
    assert "runsc resolves to 127.0.0.1" in by_host["runsc"]  # refused on the DNS answer


def test_ipv6_literals_are_fetched_when_private_addresses_are_allowed(tmp_path: Path, v6_server) -> None:
    result = run_crawl(v6_server.url, "--out", str(tmp_path), "--allow-private-addresses",
                       "--no-throttle", "--log-level", "WARNING")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert {"/", "/next"} <= set(v6_server.paths)
    rows = read_table(tmp_path, "pages").to_pylist()
    assert {row["url"] for row in rows if row["status"] == 200} >= {v6_server.url, v6_server.url + "next"}
    assert {row["host"] for row in rows} == {"[::1]"}


def test_a_redirect_to_the_metadata_address_is_refused(hostile_proxy, tmp_path: Path) -> None:
    # Through the local web's proxy, so even a request let through could not leave the machine.
    args = ["--proxy", hostile_proxy, "--out", str(tmp_path), "--no-throttle", "--log-level", "WARNING"]
    result = run_crawl("http://hostile.test/redirect/private", *args)
    assert result.returncode == 4, result.stderr
    row = read_table(tmp_path, "pages").to_pylist()[0]
    assert "refused http://169.254.169.254/latest/meta-data/: 169.254.169.254 is not a public" in row["error"]


@pytest.fixture(scope="module")
def hostile_proxy():
    from linkspider.web.hostile import HostileWeb
    from linkspider.web.server import LocalWebProcess

    with LocalWebProcess(HostileWeb()) as web:
        yield web.proxy_url


class Answers:
    """What a connection attempt receives from the resolver (Twisted's receiver interface)."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: object) -> None:  # noqa: N802 (Twisted API)
        pass

    def addressResolved(self, address) -> None:  # noqa: N802 (Twisted API)
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802 (Twisted API)
        self.complete = True


def answer(resolver, name: str, hosts: list[str]) -> Answers:
    """Feed one DNS answer of ``hosts`` for ``name`` through the resolver's address check."""
    from twisted.internet.address import IPv4Address, IPv6Address

    from linkspider.crawl.resolver import _PublicOnly

    received = Answers()
    check = _PublicOnly(received, name, resolver)
    check.resolutionBegan(None)
    for host in hosts:
        check.addressResolved((IPv6Address if ":" in host else IPv4Address)("TCP", host, 80))
    check.resolutionComplete()
    return received


def test_every_dns_answer_is_checked_a_name_turning_private_is_refused() -> None:
    from types import SimpleNamespace

    from linkspider.crawl.resolver import PublicAddressResolver, refusal_for

    # No reactor is installed in the test process (crawls run in their own): the check under
    # test never resolves, it is handed the answers.
    resolver = PublicAddressResolver(SimpleNamespace(nameResolver=None), cache_size=0)
    first = answer(resolver, "rebind.example", ["93.184.216.34"])
    later = answer(resolver, "rebind.example", ["127.0.0.1", "::ffff:7f00:1"])
    mixed = answer(resolver, "mixed.example", ["10.0.0.1", "2606:4700::1111"])
    assert first.addresses == ["93.184.216.34"] and later.addresses == [] and later.complete
    assert mixed.addresses == ["2606:4700::1111"]
    assert "rebind.example resolves to 127.0.0.1" in refusal_for("rebind.example")
    assert refusal_for("mixed.example") is None  # it had a public address to use
