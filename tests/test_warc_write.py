"""``linkspider crawl --warc``: what a crawl fetched, read back from its WARC files with warcio
(``ArchiveIterator`` and ``warcio check``), against the dataset the same crawl wrote."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from linkspider.archives.middleware import WarcWriterMiddleware
from linkspider.archives.repair import complete_length, repair_open_file, whole_members
from linkspider.archives.warc_writer import Fetch, WarcFileWriter, payload_digest
from linkspider.dataset.layout import warc_directory
from linkspider.runs import read_run_record
from linkspider.web import World, WorldConfig
from linkspider.web.server import LocalWeb
from tests.crawling import LoopbackHandler, local_web_args, read_table, run_crawl, serving, start_linkspider
from tests.distributed import redis_server, start_worker, worker_args  # noqa: F401 (fixture)

WORLD = WorldConfig(seed=1, sites=4)
#: Small enough that the crawl of WORLD fills several files.
MAX_BYTES = 60_000


def records(path: Path) -> list[dict]:
    """Return every record of a WARC file: its WARC headers, HTTP head and raw payload (each
    block and payload digest verified: warcio raises when one differs)."""
    found = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            found.append({
                "type": record.rec_type, "warc": dict(record.rec_headers.headers),
                "http": record.http_headers, "payload": record.raw_stream.read(),
                "file": path.name,
            })  # fmt: skip
    return found


def warcio_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "warcio.cli", "check", "-v", *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def fetched_urls(out: Path, answered_only: bool = True) -> set[str]:
    """Return every URL the pages table says got an HTTP answer: url, redirect hops, final_url
    (with ``answered_only=False``, the URLs of failed pages too)."""
    urls = set()
    for page in read_table(out, "pages").to_pylist():
        if page["status"] is None:
            if not answered_only:
                urls.add(page["url"])
            continue
        urls.update([page["url"], page["final_url"]])
        urls.update(hop["url"] for hop in page["redirect_chain"] or [])
    return urls


@pytest.fixture(scope="module")
def web() -> LocalWeb:
    with LocalWeb(World(WORLD)) as server:
        yield server


@pytest.fixture(scope="module")
def crawl(web: LocalWeb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("warc")
    result = run_crawl(*World(WORLD).seeds(), *local_web_args(web.proxy_url, out), "--warc",
                       "--run-id", "warc-1", "-s", f"LINKSPIDER_WARC_MAX_BYTES={MAX_BYTES}")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def archived(crawl: Path) -> list[dict]:
    files = sorted(warc_directory(crawl, "warc-1").iterdir())
    return [record for path in files for record in records(path)]


def test_rotation_gives_several_closed_files_each_opening_with_warcinfo(crawl: Path) -> None:
    files = sorted(warc_directory(crawl, "warc-1").iterdir())
    assert len(files) >= 3, files
    assert [p.name for p in files] == [f"linkspider-warc-1-{n:05d}.warc.gz"
                                       for n in range(1, len(files) + 1)]  # fmt: skip
    for path in files[:-1]:
        assert path.stat().st_size >= MAX_BYTES
    for path in files:
        first = records(path)[0]
        assert first["type"] == "warcinfo"
        assert first["warc"]["WARC-Filename"] == path.name
        info = first["payload"].decode()
        assert "software: linkspider/" in info and "isPartOf: warc-1" in info
        assert "robots: obey robots.txt" in info and "format: WARC File Format 1.1" in info


def test_warcio_check_passes_on_every_file(crawl: Path) -> None:
    files = sorted(warc_directory(crawl, "warc-1").iterdir())
    result = warcio_check(*files)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.count("digest pass") > 100


def test_every_page_and_robots_txt_has_a_response_record(crawl: Path, archived: list[dict]) -> None:
    answered = {r["warc"]["WARC-Target-URI"] for r in archived if r["type"] in ("response", "revisit")}
    wanted = fetched_urls(crawl)
    assert len(wanted) > 50
    assert wanted - answered == set()
    hosts = {url.split("/")[2] for url in wanted}
    robots = {f"http://{host}/robots.txt" for host in hosts}
    assert robots <= answered
    # and nothing else, but the hops of a redirect loop: its pages row is a failure that
    # names only the first URL
    unknown = answered - robots - fetched_urls(crawl, answered_only=False)
    statuses = {r["http"].get_statuscode()[0] for r in archived
                if r["type"] in ("response", "revisit") and r["warc"]["WARC-Target-URI"] in unknown}
    assert statuses <= {"3"} and len(unknown) <= 4, unknown


def test_request_and_response_name_each_other(archived: list[dict]) -> None:
    by_id = {r["warc"]["WARC-Record-ID"]: r for r in archived}
    requests = [r for r in archived if r["type"] == "request"]
    answers = [r for r in archived if r["type"] in ("response", "revisit")]
    assert len(requests) == len(answers) > 50
    for answer in answers:
        request = by_id[answer["warc"]["WARC-Concurrent-To"]]
        assert request["type"] == "request"
        assert request["warc"]["WARC-Concurrent-To"] == answer["warc"]["WARC-Record-ID"]
        for name in ("WARC-Target-URI", "WARC-Date", "WARC-IP-Address"):
            assert request["warc"][name] == answer["warc"][name]
        assert answer["warc"]["WARC-IP-Address"] == "127.0.0.1"  # the local web's proxy
        line = request["http"].to_str().split("\r\n")[0].split(" ")
        assert line[0] == "GET" and line[1].startswith("/") and line[2] == "HTTP/1.1"
        assert request["http"].get_header("User-Agent").startswith("linkspider/")


def test_digests_are_sha1_base32_of_block_and_payload(archived: list[dict]) -> None:
    responses = [r for r in archived if r["type"] == "response"]
    for record in responses:
        assert record["warc"]["WARC-Payload-Digest"] == payload_digest(record["payload"])
        assert record["warc"]["WARC-Block-Digest"].startswith("sha1:")
        assert int(record["http"].get_header("Content-Length")) == len(record["payload"])


def test_identical_payloads_become_revisits_of_the_first(archived: list[dict]) -> None:
    responses = {r["warc"]["WARC-Record-ID"]: r for r in archived if r["type"] == "response"}
    revisits = [r for r in archived if r["type"] == "revisit"]
    assert revisits, "the world has identical pages (robots.txt, redirects)"
    digests = Counter(r["warc"]["WARC-Payload-Digest"] for r in responses.values())
    assert max(digests.values()) == 1, "a payload archived twice in full"
    for revisit in revisits:
        headers = revisit["warc"]
        assert headers["WARC-Profile"].endswith("/warc/1.1/revisit/identical-payload-digest")
        original = responses[headers["WARC-Refers-To"]]
        assert original["warc"]["WARC-Payload-Digest"] == headers["WARC-Payload-Digest"]
        assert original["warc"]["WARC-Target-URI"] == headers["WARC-Refers-To-Target-URI"]
        assert original["warc"]["WARC-Date"] == headers["WARC-Refers-To-Date"]
        assert revisit["payload"] == b"" and revisit["http"].get_statuscode()


def test_every_redirect_hop_is_its_own_response(crawl: Path, archived: list[dict]) -> None:
    answers = {r["warc"]["WARC-Target-URI"]: r for r in archived if r["type"] in ("response", "revisit")}
    hops = [hop for page in read_table(crawl, "pages").to_pylist()
            for hop in page["redirect_chain"] or []]  # fmt: skip
    assert hops
    for hop in hops:
        assert int(answers[hop["url"]]["http"].get_statuscode()) == hop["status"]
        assert answers[hop["url"]]["http"].get_header("Location")


PAGE = (b"<html><head><title>zipped</title></head><body>"
        + b"".join(b'<p><a href="/p%d">page %d</a></p>' % (i, i) for i in range(40))
        + b"</body></html>")  # fmt: skip


class EncodingsHandler(LoopbackHandler):
    """``/`` gzip-encoded with a Content-Length, ``/chunked`` chunked, ``/p*`` plain."""

    protocol_version = "HTTP/1.1"

    def answer(self) -> None:
        if self.path == "/":
            self.reply(200, gzip.compress(PAGE), **{"Content-Encoding": "gzip"})
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (PAGE[:100], PAGE[100:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.reply(404 if self.path == "/robots.txt" else 200, b"<html>%s</html>" % self.path.encode())


def test_gzip_payload_stays_compressed_and_chunked_is_stored_dechunked(tmp_path: Path) -> None:
    with serving(EncodingsHandler) as server:
        result = run_crawl(server.url, f"{server.url}chunked", "--out", str(tmp_path), "--warc",
                           "--allow-private-addresses", "--no-throttle", "--max-depth", "0",
                           "--run-id", "enc", "--log-level", "WARNING")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    files = sorted(warc_directory(tmp_path, "enc").iterdir())
    assert warcio_check(*files).returncode == 0
    answers = {r["warc"]["WARC-Target-URI"]: r for path in files for r in records(path)
               if r["type"] == "response"}  # fmt: skip
    zipped = answers[server.url]
    assert zipped["http"].get_header("Content-Encoding") == "gzip"
    assert zipped["payload"][:2] == b"\x1f\x8b" and gzip.decompress(zipped["payload"]) == PAGE
    assert zipped["http"].get_header("Content-Length") == str(len(zipped["payload"]))
    chunked = answers[f"{server.url}chunked"]
    assert chunked["payload"] == PAGE
    assert chunked["http"].get_header("Transfer-Encoding") is None
    assert chunked["http"].get_header("X-Crawler-Transfer-Encoding") == "chunked"
    assert chunked["http"].get_header("Content-Length") == str(len(PAGE))
    assert answers[f"{server.url}robots.txt"]["http"].get_statuscode() == "404"
    pages = {p["url"]: p for p in read_table(tmp_path, "pages").to_pylist()}
    # the spider got the page decoded, as without --warc, and without the wire headers
    assert pages[server.url]["links_count"] == 40 == pages[f"{server.url}chunked"]["links_count"]
    assert pages[server.url]["content_sha1"] == hashlib.sha1(PAGE).hexdigest()


def _fetch(n: int) -> Fetch:
    body = b"<html>%d</html>" % n * 50
    return Fetch(f"http://a.example/{n}", "GET", [("Accept", "*/*")], b"", "HTTP/1.1", 200,
                 [("Content-Type", "text/html")], body, "192.0.2.1")  # fmt: skip


def test_repair_keeps_whole_fetches_at_every_cut(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path / "w", "linkspider-cut", 10**9, {"isPartOf": "cut"})
    for n in range(3):
        writer.write(_fetch(n))
    source = writer.current_path
    members = whole_members(source)
    assert [m.record_type for m in members] == ["warcinfo"] + ["request", "response"] * 3
    fetch_ends = [members[0].end] + [m.end for m in members if m.record_type == "response"]
    for cut in range(members[0].end - 3, members[-1].end + 1, 37):
        copy = tmp_path / f"linkspider-cut-{cut:05d}.warc.gz.open"
        shutil.copyfile(source, copy)
        os.truncate(copy, cut)
        closed = repair_open_file(copy)
        assert not copy.exists()
        if cut < members[0].end:
            assert closed is None  # not even the warcinfo record was whole
            continue
        assert closed is not None and closed.stat().st_size == max(e for e in fetch_ends if e <= cut)
        assert records(closed)[-1]["type"] in ("warcinfo", "response")
    assert repair_open_file(source) is None and source.exists()  # its writer holds the lock
    assert complete_length(members[:-1]) == members[-3].end  # a request alone is cut
    writer.close()


KILL_WORLD = WorldConfig(seed=3, sites=20, pages_per_site=4)


def test_sigkilled_crawl_resumed_leaves_only_closed_checked_files(tmp_path: Path) -> None:
    world = World(KILL_WORLD)
    with LocalWeb(world) as web:
        args = [*world.seeds(), *local_web_args(web.proxy_url, tmp_path), "--warc", "--run-id",
                "kill", "--concurrency", "4", "-s", "LINKSPIDER_WARC_MAX_BYTES=200000"]  # fmt: skip
        directory = warc_directory(tmp_path, "kill")
        process = start_linkspider("crawl", *args)
        deadline = time.monotonic() + 60
        while sum(p.stat().st_size for p in directory.glob("*.open")) < 20_000:
            assert process.poll() is None and time.monotonic() < deadline, "no WARC file grew"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        left = sorted(directory.glob("*.open"))
        assert len(left) == 1
        with open(left[0], "ab") as torn:  # as if killed in the middle of a write
            torn.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: request\r\n" + os.urandom(5000))[:900])
        assert read_run_record(tmp_path, "kill").status == "interrupted"
        result = run_crawl(*args, "--resume", "kill")
    assert result.returncode == 0, result.stderr[-3000:]
    files = sorted(directory.iterdir())
    assert not [p for p in files if not p.name.endswith(".warc.gz")], files
    assert files[0].name == left[0].name.removesuffix(".open")
    assert len(files) >= 2  # the resumed attempt went on in new files
    check = warcio_check(*files)
    assert check.returncode == 0, check.stdout[-2000:]
    archived = [r for path in files for r in records(path)]
    answered = {r["warc"]["WARC-Target-URI"] for r in archived if r["type"] in ("response", "revisit")}
    assert fetched_urls(tmp_path) - answered == set()
    digests = Counter(r["warc"]["WARC-Payload-Digest"] for r in archived if r["type"] == "response")
    assert max(digests.values()) == 1, "the resumed attempt archived a payload again in full"
    types = [r["type"] for r in records(files[0])]
    assert types[0] == "warcinfo" and types[-1] in ("response", "revisit")


def test_each_worker_of_a_distributed_run_writes_its_own_files(web: LocalWeb, redis_server,
                                                              tmp_path: Path) -> None:  # fmt: skip
    seeds = World(WORLD).seeds()
    workers = [start_worker(worker_args(redis_server.url, "dist", web.proxy_url, tmp_path, "--warc",
                                        *seeds[i::2]), tmp_path / f"w{i}.log")
               for i in range(2)]  # fmt: skip
    codes = [worker.wait(timeout=120) for worker in workers]
    assert codes == [0, 0], "".join((tmp_path / f"w{i}.log").read_text()[-1500:] for i in range(2))
    files = sorted(warc_directory(tmp_path, "dist").iterdir())
    assert all(p.name.endswith(".warc.gz") for p in files), files
    writers = {p.name.removeprefix("linkspider-dist-").rsplit("-", 1)[0] for p in files}
    assert len(writers) == 2, files
    assert warcio_check(*files).returncode == 0
    archived = [r for path in files for r in records(path)]
    answered = {r["warc"]["WARC-Target-URI"] for r in archived if r["type"] in ("response", "revisit")}
    assert fetched_urls(tmp_path) - answered == set()
    assert {r["warc"]["WARC-Filename"] for r in archived if r["type"] == "warcinfo"} == {
        p.name for p in files}


def _downloader_middlewares(tmp_path: Path, **overrides: object) -> list[object]:
    """Return the downloader middlewares a crawler with the project's settings builds."""
    import linkspider.settings as project

    settings = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    settings.update(LINKSPIDER_OUTPUT_DIR=str(tmp_path), **overrides)
    manager = DownloaderMiddlewareManager.from_crawler(get_crawler(settings_dict=settings))
    return list(manager.middlewares)


def test_without_warc_the_middleware_is_not_in_the_chain(tmp_path: Path) -> None:
    assert not [m for m in _downloader_middlewares(tmp_path) if isinstance(m, WarcWriterMiddleware)]
    chain = _downloader_middlewares(tmp_path, LINKSPIDER_WARC=True)
    (middleware,) = [m for m in chain if isinstance(m, WarcWriterMiddleware)]
    assert chain[-1] is middleware  # nearest the download handler: sees responses first
    middleware.close()


def test_the_wire_headers_go_to_the_record_and_not_to_the_spider(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "linkspider-wire", 10**9, {"isPartOf": "wire"})
    middleware = WarcWriterMiddleware(writer)
    request = Request("http://a.example/p", headers={"Accept": "*/*",
                                                     "Proxy-Authorization": "Basic c2VjcmV0"})
    response = HtmlResponse("http://a.example/p", status=200, body=b"<html>x</html>", headers={
        "Content-Type": "text/html", "X-Linkspider-Wire-Connection": "keep-alive",
        "X-Linkspider-Wire-Content-Length": "14"})  # fmt: skip
    assert middleware.process_response(request, response) is response
    assert dict(response.headers.to_unicode_dict()) == {"Content-Type": "text/html"}
    middleware.close()
    (path,) = writer.closed_files
    request_record, response_record = records(path)[1:]
    assert response_record["http"].headers == [("Content-Type", "text/html"),
                                               ("Connection", "keep-alive"),
                                               ("Content-Length", "14")]  # fmt: skip
    assert request_record["http"].get_header("Proxy-Authorization") is None
    assert request_record["http"].get_header("Host") == "a.example"


def test_a_warc_write_failure_stops_the_crawl_with_exit_code_5(web: LocalWeb, tmp_path: Path) -> None:
    blocker = warc_directory(tmp_path, "blocked")
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory")  # every WARC write fails, as on a full disk
    result = run_crawl(*World(WORLD).seeds(), *local_web_args(web.proxy_url, tmp_path), "--warc",
                       "--run-id", "blocked")  # fmt: skip
    assert result.returncode == 5, result.stderr[-2000:]
    assert "writing the WARC files in" in result.stderr and "--resume" in result.stderr
    assert "Traceback" not in result.stderr
    assert read_run_record(tmp_path, "blocked").status == "failed"
