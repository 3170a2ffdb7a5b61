"""Bad input loses nothing: killed crawls, oversize and binary responses, bad seeds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.conftest import PROJECT_ROOT
from tests.crawling import local_web_args, read_table, run_crawl, start_linkspider


def parquet_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.parquet"))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_crawl_stopped_midway_leaves_only_readable_files(sig: int, tmp_path: Path) -> None:
    config = WorldConfig(seed=3, sites=120, pages_per_site=30)
    world = World(config)
    with LocalWebProcess(world) as web:
        args = local_web_args(web.proxy_url, tmp_path, "-s", "LINKSPIDER_FILE_MAX_SECONDS=0.3",
                              "-s", "LINKSPIDER_ROW_GROUP_ROWS=500")  # fmt: skip
        process = start_linkspider("crawl", *world.seeds(), *args)
        try:
            deadline = time.monotonic() + 120
            while len(list((tmp_path / "links").rglob("part-*.parquet"))) < 2:
                assert process.poll() is None, "crawl ended before it could be stopped"
                assert time.monotonic() < deadline, "no Parquet file appeared in time"
                time.sleep(0.05)
            process.send_signal(sig)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    files = parquet_files(tmp_path)
    assert files, "nothing was written"
    for path in files:
        assert pq.read_table(path).num_rows > 0, path
    con = duckdb.connect()
    for table in ("links", "pages"):
        glob = str(tmp_path / table / "*" / "*" / "*.parquet")
        (count,) = con.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()
        assert count > 0
        assert read_table(tmp_path, table).num_rows == count  # hidden .tmp files are skipped
    pages = read_table(tmp_path, "pages").num_rows
    # Every site has at least its pages_per_site pages (computing the whole truth of this
    # world would cost more than the crawl).
    assert pages < config.sites * config.pages_per_site, "the crawl was not stopped midway"


SMALL_WORLD = WorldConfig(seed=5, sites=3)


@pytest.fixture(scope="module")
def small_world_web():
    with LocalWebProcess(World(SMALL_WORLD)) as web:
        yield web


def test_oversize_responses_are_recorded_and_the_crawl_goes_on(small_world_web, tmp_path: Path) -> None:
    world = World(SMALL_WORLD)
    sizes = sorted(
        (len(world.respond("www.news-1.com", f"/page-{k}.html").body), f"/page-{k}.html")
        for k in range(1, SMALL_WORLD.pages_per_site)
    )
    limit = sizes[len(sizes) // 2][0]  # half the pages are larger than this
    result = run_crawl(f"http://www.news-1.com{sizes[0][1]}",
                       *local_web_args(small_world_web.proxy_url, tmp_path,
                                       "-s", f"DOWNLOAD_MAXSIZE={limit}"))  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    pages = read_table(tmp_path, "pages").to_pylist()
    oversize = [p for p in pages if p["error"] and "DOWNLOAD_MAXSIZE" in p["error"]]
    assert oversize, [p["error"] for p in pages]
    assert any(p["status"] == 200 for p in pages)


def test_binary_responses_are_pages_without_links(small_world_web, tmp_path: Path) -> None:
    run_crawl("http://www.news-1.com/", *local_web_args(small_world_web.proxy_url, tmp_path))
    pages = {p["url"]: p for p in read_table(tmp_path, "pages").to_pylist()}
    for path, ctype in (("logo.png", "image/png"), ("report.pdf", "application/pdf"),
                        ("data.json", "application/json")):  # fmt: skip
        page = pages[f"http://www.news-1.com/{path}"]
        assert (page["status"], page["content_type"], page["links_count"], page["error"]) == (
            200, ctype, 0, None,
        )  # fmt: skip


def test_bad_seed_is_a_clear_error(tmp_path: Path) -> None:
    result = run_crawl("ftp://example.com/", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "is not an http(s) URL" in result.stderr
    assert not (tmp_path / "links").exists()


def test_seeds_file_and_report(small_world_web, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# demo seeds\nhttp://www.news-1.com/\n\nshop.store-2.co.uk  # no scheme\n")
    out = tmp_path / "out"
    result = run_crawl("--seeds-file", str(seeds), "--report",
                       *local_web_args(small_world_web.proxy_url, out))  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    domains = {p["domain"] for p in read_table(out, "pages").to_pylist()}
    assert domains == {"news-1.com", "store-2.co.uk"}
    assert "pages:" in result.stdout and "top target domains" in result.stdout


def test_scrapy_crawl_with_feed_export_writes_the_links_table(small_world_web, tmp_path: Path) -> None:
    feed = tmp_path / "links.parquet"
    result = subprocess.run(
        ["scrapy", "crawl", "backlinks", "-a", "seeds=http://www.news-1.com/",
         "-o", str(feed), "-s", f"LINKSPIDER_PROXY={small_world_web.proxy_url}",
         "-s", "LINKSPIDER_ALLOW_PRIVATE_ADDRESSES=True", "-s", "AUTOTHROTTLE_ENABLED=False",
         "-s", f"LINKSPIDER_OUTPUT_DIR={tmp_path / 'dataset'}", "-s", "LOG_LEVEL=WARNING"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT),
             "PATH": f"{Path(os.sys.executable).parent}:{os.environ['PATH']}"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    exported = pq.read_table(feed)
    dataset = read_table(tmp_path / "dataset", "links")
    assert exported.num_rows == dataset.num_rows > 0
    assert sorted(exported.column("target_url").to_pylist()) == sorted(
        dataset.column("target_url").to_pylist()
    )


def test_next_crawl_removes_files_killed_crawls_left(small_world_web, tmp_path: Path) -> None:
    """Unreadable temporary files of dead writers on this host go; others stay untouched."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    run_dir = tmp_path / "links" / "crawl_date=2026-01-01" / "run=old"
    run_dir.mkdir(parents=True)
    host = socket.gethostname().replace("/", "_")
    stale = run_dir / f".part-{host}-{gone.pid}-00003.parquet.tmp"
    running = run_dir / f".part-{host}-{os.getpid()}-00000.parquet.tmp"  # this test's process
    elsewhere = run_dir / f".part-other-host-{gone.pid}-00000.parquet.tmp"
    for path in (stale, running, elsewhere):
        path.write_bytes(b"PAR1 no footer")
    result = run_crawl("http://www.news-1.com/", *local_web_args(small_world_web.proxy_url, tmp_path))
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert running.exists() and elsewhere.exists()
    assert "removed 1 unfinished Parquet file(s) left by killed crawls" in result.stderr
    assert read_table(tmp_path, "pages").num_rows > 0


def test_a_resolver_that_never_answers_is_given_up_after_dns_timeout(tmp_path: Path) -> None:
    """The name's row says what happened after DNS_TIMEOUT (not after the DNS client's own
    60 s of retries, nor DOWNLOAD_TIMEOUT), and the crawl goes on with the other seeds."""
    from linkspider.crawl.failures import DNS_FAILURES
    from tests.crawling import LoopbackHandler, serving
    from tests.silent_dns import SilentDNSServer

    class Page(LoopbackHandler):
        def answer(self) -> None:
            self.reply(200, b"<a href='http://t.example/'>t</a>")

    with SilentDNSServer() as dns, serving(Page) as server:
        started = time.monotonic()
        result = run_crawl(f"http://silent-dns.test:{server.server_address[1]}/", server.url,
                           "--out", str(tmp_path), "--allow-private-addresses", "--no-throttle",
                           "--log-level", "WARNING", "-s", "DNS_TIMEOUT=1", "-s", "DOWNLOAD_TIMEOUT=120",
                           "-s", "TWISTED_DNS_RESOLVER=tests.silent_dns.SilentServerResolver",
                           "-s", f"SILENT_DNS_PORT={dns.port}")  # fmt: skip
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-2000:]
    assert dns.queries > 0  # the name was asked of the silent server
    pages = {row["host"]: row for row in read_table(tmp_path, "pages").to_pylist()}
    assert pages["127.0.0.1"]["status"] == 200
    silent = pages["silent-dns.test"]
    assert silent["status"] is None
    assert silent["error"].split(":")[0] in DNS_FAILURES and "DNS_TIMEOUT=1" in silent["error"], silent["error"]
    assert elapsed < 25, f"{elapsed:.1f} s: DNS_TIMEOUT=1 (with 2 retries) was not applied"
