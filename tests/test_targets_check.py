"""Target checks: the targets table equals the truth; each URL requested once; HEAD, then GET
where HEAD is refused; robots.txt and the private-address rule obeyed (a server records)."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from linkspider.web.server import LocalWebProcess
from linkspider.web.targets import REFUSING_HOST, ROT_HOSTS, rot_urls, target_truth
from linkspider.web.world import World, WorldConfig
from tests.crawling import local_web_args, read_table, run_crawl, run_linkspider

SEED_HOST, TARGET_HOST, DEAD_HOST = "127.0.0.1", "127.0.0.2", "127.0.0.3"


def check_targets(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``linkspider check-targets`` with ``args``."""
    return run_linkspider("check-targets", *args, timeout=180)


def targets_rows(out: Path, run_id: str) -> list[dict]:
    files = sorted((out / "targets" / f"run={run_id}").glob("part-*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


# -- the generated world with link rot -------------------------------------------------------


@pytest.fixture(scope="module")
def rot_crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path, subprocess.CompletedProcess[str]]:
    world = World(WorldConfig(sites=8, link_rot=True))
    out = tmp_path_factory.mktemp("rot")
    with LocalWebProcess(world) as web:
        result = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, out, "--run-id", "rot-1",
                                                            "--quiet", "--check-targets"))  # fmt: skip
    return world, out, result


def test_crawl_with_check_targets_ends_complete(rot_crawl) -> None:
    _, _, result = rot_crawl
    assert result.returncode == 0, result.stderr[-3000:]
    assert "targets of run rot-1:" in result.stdout


def test_every_external_target_has_one_row(rot_crawl) -> None:
    _, out, _ = rot_crawl
    links = read_table(out, "links").to_pylist()
    expected = {l["target_url"] for l in links if l["is_external"] and l["target_scheme"] in ("http", "https")}
    urls = [row["url"] for row in targets_rows(out, "rot-1")]
    assert len(urls) == len(set(urls))
    assert set(urls) == expected
    assert set(rot_urls()) <= expected  # every kind of rot is linked


def test_every_target_status_equals_the_worlds_truth(rot_crawl) -> None:
    world, out, _ = rot_crawl
    rows = targets_rows(out, "rot-1")
    mismatches = []
    for row in rows:
        truth = target_truth(world, row["url"])
        got = (row["status"], row["final_url"], [(h["url"], h["status"]) for h in row["redirect_chain"]],
               row["outcome"])  # fmt: skip
        want = (truth.status, truth.final_url, truth.redirect_chain, truth.outcome)
        if got != want:
            mismatches.append((row["url"], got, want, row["error"]))
    assert mismatches == []
    outcomes = Counter(row["outcome"] for row in rows)
    assert set(outcomes) == {"ok", "redirected", "broken", "blocked"}


def test_kinds_of_failure_are_told_apart(rot_crawl) -> None:
    _, out, _ = rot_crawl
    rows = {row["url"]: row for row in targets_rows(out, "rot-1")}
    host = ROT_HOSTS[0]
    assert rows[f"http://{host}/gone-1.html"]["status"] == 404
    assert rows[f"http://{host}/error-1.html"]["status"] == 500
    assert rows[f"http://{host}/private/page-1.html"]["error"] == "IgnoreRequest: disallowed by robots.txt"
    refused = rows[f"http://{REFUSING_HOST}/"]
    assert refused["status"] is None and refused["outcome"] == "broken" and refused["error"]
    assert "loop" in rows[f"http://{host}/loop-1.html"]["error"]
    head = rows["http://cdn.head-refused.org/doc-1.html"]
    assert (head["status"], head["method"]) == (200, "GET")
    assert rows[f"http://{host}/ok-1.html"]["method"] == "HEAD"


def test_targets_the_crawl_fetched_come_from_its_pages(rot_crawl) -> None:
    world, out, _ = rot_crawl
    rows = targets_rows(out, "rot-1")
    crawled = {row["url"] for row in rows if row["checked_by"] == "crawl"}
    pages = {p["url"] for p in read_table(out, "pages").to_pylist()}
    assert crawled and crawled <= pages
    assert all(row["url"] not in pages for row in rows if row["checked_by"] == "check")


def test_a_second_check_fetches_nothing_new(rot_crawl) -> None:
    _, out, _ = rot_crawl
    before = targets_rows(out, "rot-1")
    result = check_targets("--out", str(out), "--run", "rot-1", "--proxy", "http://127.0.0.1:9", "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0 new" in result.stdout
    assert targets_rows(out, "rot-1") == before


def test_domain_option_checks_only_that_domain(rot_crawl, tmp_path: Path) -> None:
    world, out, _ = rot_crawl
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(out), str(copy)], check=True)
    subprocess.run(["rm", "-rf", str(copy / "targets")], check=True)
    with LocalWebProcess(world) as web:
        result = check_targets("--out", str(copy), "--run", "rot-1", "--domain", "gone-vendor.com",
                               *local_web_args(web.proxy_url, copy)[:3], "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    hosts = {row["target_host"] for row in targets_rows(copy, "rot-1")}
    assert hosts == {"blog.gone-vendor.com"}


def test_unknown_run_is_a_usage_error(tmp_path: Path) -> None:
    result = check_targets("--out", str(tmp_path), "--run", "nope")
    assert result.returncode == 2
    assert "has no links" in result.stderr


# -- a recording server: what is requested, how often, with which method ----------------------


class Recorder(ThreadingHTTPServer):
    """A threaded HTTP server on a loopback address that records (method, path, User-Agent)."""

    def __init__(self, host: str, handler: type[BaseHTTPRequestHandler]) -> None:
        self.requests: list[tuple[str, str, str]] = []
        super().__init__((host, 0), handler)

    @property
    def origin(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"


class TargetHandler(BaseHTTPRequestHandler):
    """Targets: /ok 200, /gone 404, /moved -301-> /ok, /chain -302-> /moved, /head-refused (405
    to HEAD), /loop -> /loop, /private/* (robots.txt disallows); the seed page links to them."""

    server: Recorder
    links = ("/ok", "/gone", "/moved", "/chain", "/head-refused", "/loop", "/private/x", "/ok#part")

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer("HEAD")

    def do_GET(self) -> None:  # noqa: N802
        self._answer("GET")

    def _answer(self, method: str) -> None:
        self.server.requests.append((method, self.path, self.headers.get("User-Agent", "")))
        path = self.path
        if path == "/robots.txt":
            return self._reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain", method)
        if path == "/":  # the seed page (served by the seed host): links to the targets, twice each
            target = self.server.target_origin  # type: ignore[attr-defined]
            hrefs = [target + p for p in self.links] * 2 + [self.server.dead_url]  # type: ignore[attr-defined]
            body = "".join(f'<a href="{h}">t</a>\n' for h in hrefs).encode()
            return self._reply(200, body, "text/html", method)
        if path == "/ok":
            return self._reply(200, b"<p>ok</p>", "text/html", method)
        if path in ("/moved", "/chain", "/loop"):
            location = {"/moved": "/ok", "/chain": "/moved", "/loop": "/loop"}[path]
            return self._reply(301 if path == "/moved" else 302, b"", "text/html", method, location)
        if path == "/head-refused":
            return self._reply(405 if method == "HEAD" else 200, b"<p>GET only</p>", "text/html", method)
        if path.startswith("/private/"):
            return self._reply(200, b"secret", "text/html", method)
        return self._reply(404, b"<p>gone</p>", "text/html", method)

    def _reply(self, status: int, body: bytes, ctype: str, method: str, location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if method == "GET":
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[Recorder, Recorder, Path]]:
    """A crawled seed page (on 127.0.0.1) linking to targets on another loopback address."""
    seed, target = Recorder(SEED_HOST, TargetHandler), Recorder(TARGET_HOST, TargetHandler)
    seed.target_origin = target.origin  # type: ignore[attr-defined]
    seed.dead_url = f"http://{DEAD_HOST}:{_free_port(DEAD_HOST)}/nothing-listens"  # type: ignore[attr-defined]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (seed, target)]
    for thread in threads:
        thread.start()
    try:
        out = tmp_path / "out"
        result = run_crawl(seed.origin + "/", "--out", str(out), "--run-id", "rec", "--max-depth", "0",
                           "--allow-private-addresses", "--no-throttle", "--quiet", "--log-level", "WARNING")  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        assert target.requests == []  # the crawl stays on its seed site (depth 0)
        yield seed, target, out
    finally:
        for server in (seed, target):
            server.shutdown()
            server.server_close()


def test_each_target_requested_once_head_then_get_where_refused(recorded) -> None:
    _, target, out = recorded
    result = check_targets("--out", str(out), "--run", "rec", "--allow-private-addresses", "--no-throttle",
                           "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert Counter((m, p) for m, p, _ in target.requests) == {
        ("GET", "/robots.txt"): 1, ("HEAD", "/ok"): 1, ("HEAD", "/gone"): 1, ("HEAD", "/moved"): 1,
        ("HEAD", "/chain"): 1, ("HEAD", "/loop"): 1, ("HEAD", "/head-refused"): 1, ("GET", "/head-refused"): 1,
    }  # fmt: skip
    assert target.requests[0][1] == "/robots.txt"
    assert all(ua.startswith("linkspider/") and "+http" in ua for _, _, ua in target.requests)
    rows = {row["url"].removeprefix(target.origin): row for row in targets_rows(out, "rec")}
    assert {k: (r["status"], r["outcome"]) for k, r in rows.items() if k.startswith("/")} == {
        "/ok": (200, "ok"), "/gone": (404, "broken"), "/moved": (200, "redirected"),
        "/chain": (200, "redirected"), "/head-refused": (200, "ok"), "/loop": (None, "broken"),
        "/private/x": (None, "blocked"),
    }  # fmt: skip
    assert [(h["url"], h["status"]) for h in rows["/chain"]["redirect_chain"]] == [
        (target.origin + "/chain", 302), (target.origin + "/moved", 301)]
    assert rows["/chain"]["final_url"] == target.origin + "/ok"
    (dead,) = [r for k, r in rows.items() if not k.startswith("/")]
    assert dead["outcome"] == "broken" and "Connection" in dead["error"] and dead["status"] is None


def test_private_addresses_are_refused_without_permission(recorded) -> None:
    _, target, out = recorded
    result = check_targets("--out", str(out), "--run", "rec", "--no-throttle", "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.requests == []
    rows = targets_rows(out, "rec")
    assert len(rows) == len(TargetHandler.links) - 1 + 1  # "/ok#part" is "/ok"; plus the dead host
    assert {row["outcome"] for row in rows} == {"blocked"}
    assert all("--allow-private-addresses" in row["error"] for row in rows)


def test_the_default_world_has_no_link_rot() -> None:
    plain, rotten = World(WorldConfig(sites=8)), World(WorldConfig(sites=8, link_rot=True))
    hosts = {row["target_host"] for row in plain.ground_truth_links()}
    assert not hosts & {*ROT_HOSTS, REFUSING_HOST}
    assert plain.respond(ROT_HOSTS[0], "/ok-1.html").status == 502
    assert rotten.respond(ROT_HOSTS[0], "/ok-1.html").status == 200
    assert rotten.respond_head("cdn.head-refused.org", "/doc-1.html").status == 405
    assert rotten.respond("cdn.head-refused.org", "/doc-1.html").status == 200
