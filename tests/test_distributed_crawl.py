"""Distributed runs end to end: real redis-server, real worker processes, the local web."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from linkspider.distributed.entries import encode_entry
from linkspider.distributed.fingerprints import fingerprint
from linkspider.distributed.frontier import Frontier
from linkspider.distributed.records import read_worker_records
from linkspider.runs.records import read_run_record
from linkspider.web import LocalWebProcess
from linkspider.urls.normalize import url_host
from linkspider.web.small import SmallWorld
from tests.crawling import local_web_args, read_table, run_crawl
from tests.distributed import (  # noqa: F401 (fixture)
    link_keys,
    page_urls,
    redis_client,
    redis_server,
    start_worker,
    worker_args,
)

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
    workers = [start_worker(args + WORLD.seeds()[n:12:2], tmp_path / f"err{n}", stdout=tmp_path / f"out{n}")
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

    # A worker killed between renaming a pages file and acknowledging leaves the file in place,
    # its entry in flight with an expired lease, the page's claims, and the mark of its commit:
    # a worker that joins later acknowledges it unfetched, and the run stays complete.
    client = redis_client(redis_server)
    pages_file = sorted((tmp_path / "pages").rglob("*.parquet"))[0]
    page = pq.read_table(pages_file).to_pylist()[0]
    frontier = Frontier(client, "merged", int(client.hget("linkspider:merged:meta", "buckets")))
    client.hset(frontier.key("entries"), "9999", encode_entry(page["url"], page["depth"], 0, False))
    client.hset(frontier.key("entry_host"), "9999", url_host(page["url"]))
    client.zadd(frontier.key("inflight"), {"9999": 0})
    client.hset(frontier.key("owner"), "9999", "killed-1")
    final = fingerprint(page["final_url"])
    client.rpush(frontier.key("claims:9999"), frontier.seen_key("pages", final), final)
    client.hset(frontier.key("committing"), "9999", str(pages_file.relative_to(tmp_path)))
    late = start_worker(args, tmp_path / "late.log")  # ends the run again; targets stay checked
    assert late.wait(timeout=60) == 0, (tmp_path / "late.log").read_text()[-2000:]
    assert page_urls(tmp_path).count(page["url"]) == 1, "the page was stored twice"
    assert int(client.get(frontier.key("durable_requeued"))) == 1  # acknowledged, not fetched
    assert client.zcard(frontier.key("inflight")) == 0 and int(client.get(frontier.key("queued"))) == 0
    after = read_run_record(tmp_path, "merged")
    assert (after.status, after.pages, after.pages_refetched) == ("complete", record.pages, 0)
    assert len(read_worker_records(tmp_path, "merged")) == 3
    targets = read_table(tmp_path, "targets").column("url").to_pylist()
    assert len(targets) == len(set(targets))
