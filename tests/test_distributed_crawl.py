"""Distributed runs end to end: real redis-server, real worker processes, the local web."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from linkspider.web import LocalWebProcess
from linkspider.web.small import SmallWorld
from tests.crawling import local_web_args, read_table, run_crawl
from tests.distributed import link_keys, page_urls, redis_server, start_worker, worker_args  # noqa: F401

WORLD = SmallWorld(sites=300, pages_per_site=2)


@pytest.fixture(scope="module")
def web():
    with LocalWebProcess(WORLD) as web:
        yield web


@pytest.fixture(scope="module")
def single(web, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world crawled by one process, without Redis."""
    out = tmp_path_factory.mktemp("single")
    result = run_crawl(*WORLD.seeds(), *local_web_args(web.proxy_url, out), "--run-id", "single",
                       "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_three_workers_store_the_pages_and_links_of_a_single_process_crawl(
    web, single: Path, redis_server, tmp_path: Path
) -> None:
    seeds = WORLD.seeds()
    thirds = [seeds[0::3], seeds[1::3], seeds[2::3]]  # seeds given to any worker: added once
    workers = [start_worker(worker_args(redis_server.url, "three", web.proxy_url, tmp_path,
                                        *part, *seeds[:5]), tmp_path / f"w{i}.log")
               for i, part in enumerate(thirds)]  # fmt: skip
    codes = [worker.wait(timeout=120) for worker in workers]
    logs = "".join((tmp_path / f"w{i}.log").read_text()[-1500:] for i in range(3))
    assert codes == [0, 0, 0], logs
    urls = page_urls(tmp_path)
    assert len(urls) == len(set(urls)), "a page was stored twice"
    assert sorted(urls) == sorted(page_urls(single))
    assert sorted(urls) == sorted(p["url"] for p in WORLD.ground_truth_pages())
    assert Counter(link_keys(tmp_path)) == Counter(link_keys(single))
    truth = Counter((r["source_url"], r["link_kind"], r["target_url"]) for r in WORLD.ground_truth_links())
    assert Counter((s, k, t) for s, k, _, t in link_keys(tmp_path)) == truth
    writers = {p.name.rsplit("-", 1)[0] for p in (tmp_path / "pages").rglob("*.parquet")}
    assert len(writers) == 3, writers  # every worker wrote its own part files
