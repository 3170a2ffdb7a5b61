"""Distributed runs end to end: real redis-server, real worker processes, the local web."""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from linkspider.distributed.records import read_worker_records
from linkspider.runs.records import read_run_record
from linkspider.web import LocalWebProcess
from tests.conftest import PROJECT_ROOT
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


def test_two_workers_merge_the_run_record_count_the_budget_and_check_targets_once(
    web, redis_server, tmp_path: Path
) -> None:
    args = worker_args(redis_server.url, "merged", web.proxy_url, tmp_path, "--check-targets",
                       "--max-pages-per-site", "1")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    workers = [subprocess.Popen(args + WORLD.seeds()[n:12:2], cwd=PROJECT_ROOT, env=env,
                                stdout=open(tmp_path / f"out{n}", "w"), stderr=open(tmp_path / f"err{n}", "w"))  # noqa: SIM115
               for n in range(2)]  # fmt: skip
    codes = [worker.wait(timeout=120) for worker in workers]
    errors = "".join((tmp_path / f"err{n}").read_text()[-1500:] for n in range(2))
    assert codes == [0, 0], errors
    outputs = [(tmp_path / f"out{n}").read_text() for n in range(2)]
    assert sum(out.count("targets of run merged:") for out in outputs) == 1, outputs
    assert "targets not checked" not in errors
    pages, links = read_table(tmp_path, "pages"), read_table(tmp_path, "links")
    # every page of the 12 sites beyond its first is refused by the budget, and counted
    assert sum(n or 0 for n in pages.column("links_over_budget").to_pylist()) > 0
    record = read_run_record(tmp_path, "merged")
    assert record.status == "complete"
    assert (record.pages, record.links) == (pages.num_rows, links.num_rows)
    assert record.bytes == sum(pages.column("size").to_pylist())
    per_worker = read_worker_records(tmp_path, "merged")
    assert all(w.pages for w in per_worker)  # both workers wrote pages
    assert len(per_worker) == 2 and {w.status for w in per_worker} == {"complete"}
    assert sum(w.pages for w in per_worker) == record.pages
    assert sum(w.links for w in per_worker) == record.links
