"""Crawls of the hostile web (linkspider.web.hostile): no page stalls the crawl, budgets hold."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from linkspider.nesting import MAX_NESTING_DEPTH
from linkspider.web.hostile import DEEP_LINKS, HostileConfig, HostileWeb
from linkspider.web.server import LocalWebProcess
from tests.conftest import PROJECT_ROOT
from tests.crawling import crawl_command, local_web_args, read_table, run_crawl

DEEP_SITE = HostileConfig(deep_site_pages=300, deep_depth=300_000, trap_links=5)


@pytest.fixture(scope="module")
def hostile_web():
    with LocalWebProcess(HostileWeb(DEEP_SITE)) as web:
        yield web


def pages_by_url(out: Path) -> dict[str, dict]:
    return {row["url"]: row for row in read_table(out, "pages").to_pylist()}


def test_a_300000_deep_page_leaves_its_site_crawled_at_normal_speed(hostile_web, tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_crawl("http://deep.test/", *local_web_args(hostile_web.proxy_url, tmp_path),
                       timeout=150)  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 90  # 6 s measured; before: frozen, Ctrl-C ignored (bench/hostile.py)
    pages = pages_by_url(tmp_path)
    site = HostileWeb(DEEP_SITE).deep_site_urls()
    assert all(pages[url]["status"] == 200 and pages[url]["error"] is None for url in site)
    deep = pages["http://deep.test/deep.html"]
    assert deep["drop_reason"] == "nesting_depth"
    assert deep["tags_beyond_depth"] == 2 * (300_000 - MAX_NESTING_DEPTH)
    assert f"deeper than {MAX_NESTING_DEPTH}" in deep["note"]
    links = read_table(tmp_path, "links").to_pylist()
    deep_links = sorted(r["target_url"] for r in links if r["source_url"] == deep["final_url"])
    assert deep_links == [f"http://deep.test/deep-link-{i}" for i in range(DEEP_LINKS)]


def test_a_page_not_parsed_in_time_is_an_error_row_and_the_crawl_goes_on(tmp_path: Path) -> None:
    # No nesting cap: the 200,000-deep page (2.2 MB, over the thread threshold) takes minutes.
    config = HostileConfig(deep_site_pages=30, deep_depth=200_000)
    with LocalWebProcess(HostileWeb(config)) as web:
        started = time.monotonic()
        result = run_crawl("http://deep.test/", *local_web_args(
            web.proxy_url, tmp_path, "-s", "LINKSPIDER_MAX_NESTING_DEPTH=100000000",
            "-s", "LINKSPIDER_PARSE_DEADLINE=3"), timeout=150)  # fmt: skip
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 60
    pages = pages_by_url(tmp_path)
    deep = pages.pop("http://deep.test/deep.html")
    assert deep["status"] == 200 and deep["drop_reason"] == "parse_deadline"
    assert "LINKSPIDER_PARSE_DEADLINE=3 s" in deep["error"] and "not parsed" in deep["error"]
    assert len(pages) == 30 and all(row["error"] is None for row in pages.values())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_crawl_while_a_page_is_being_parsed(sig: int, tmp_path: Path) -> None:
    config = HostileConfig(deep_site_pages=5, deep_depth=200_000)
    with LocalWebProcess(HostileWeb(config)) as web:
        args = local_web_args(web.proxy_url, tmp_path, "-s", "LINKSPIDER_MAX_NESTING_DEPTH=100000000",
                              "-s", "LINKSPIDER_PARSE_DEADLINE=600")  # fmt: skip
        process = subprocess.Popen(crawl_command("http://deep.test/", *args), cwd=PROJECT_ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not list(tmp_path.glob("_staging/run=*/fetched-*.log")) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(4)  # the deep page is downloaded and being parsed by now
            assert process.poll() is None
            process.send_signal(sig)
            stopped = time.monotonic()
            process.wait(timeout=45)
            assert time.monotonic() - stopped < 30
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 1, process.stderr.read() if process.stderr else ""
    pages = pages_by_url(tmp_path)
    assert "ended early" in (process.stderr.read() if process.stderr else "")
    assert pages["http://deep.test/deep.html"]["drop_reason"] == "parse_deadline"
    assert "stopping" in pages["http://deep.test/deep.html"]["error"]


@pytest.mark.parametrize("host", ["vm", "github.io", "co.uk", "trap.test"])
def test_a_session_id_trap_stops_at_the_page_budget_on_every_kind_of_host(
    hostile_web, tmp_path: Path, host: str
) -> None:
    result = run_crawl(f"http://{host}/", *local_web_args(
        hostile_web.proxy_url, tmp_path, "--max-pages-per-site", "120"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    pages = read_table(tmp_path, "pages").to_pylist()
    fetched = [row for row in pages if row["url"].startswith(f"http://{host}/?") or row["url"] == f"http://{host}/"]
    assert len(fetched) == 120  # before: 3,906 on vm, github.io and co.uk (every URL a site)
