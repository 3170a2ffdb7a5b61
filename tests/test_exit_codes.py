"""Each way a crawl can end has its own exit code (linkspider.runs.exitcodes), from real crawls
of the local web, and the run record says the same."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from linkspider.runs import ExitCode, read_run_record, read_runs
from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.crawling import local_web_args, read_table, run_crawl, serving, start_linkspider
from tests.test_politeness import RobotsHandler

WORLD = WorldConfig(seed=11, sites=12)


@pytest.fixture(scope="module")
def web():
    with LocalWebProcess(World(WORLD)) as server:
        yield server


def test_complete_crawl_exits_0_and_its_record_says_complete(web, tmp_path: Path) -> None:
    result = run_crawl(*World(WORLD).seeds(), *local_web_args(web.proxy_url, tmp_path),
                       "--run-id", "good")  # fmt: skip
    assert result.returncode == ExitCode.COMPLETE == 0, result.stderr[-2000:]
    record = read_run_record(tmp_path, "good")
    pages = read_table(tmp_path, "pages")
    assert (record.status, record.exit_code, record.finish_reason) == ("complete", 0, "finished")
    assert record.pages == pages.num_rows and record.links == read_table(tmp_path, "links").num_rows
    assert record.pages_ok == sum(200 <= (s or 0) < 300 for s in pages.column("status").to_pylist())
    assert record.seeds == World(WORLD).seeds() and record.seeds_count == len(record.seeds)
    assert '"LINKSPIDER_MAX_DEPTH": 5' in record.settings
    assert record.finished_at >= record.started_at and record.resumed == 0
    assert not (tmp_path / "_staging" / "run=good").exists()  # nothing left to resume


def test_output_not_writable_exits_3_before_any_request(tmp_path: Path) -> None:
    with serving(RobotsHandler) as server:
        result = run_crawl(server.url, "--out", "/proc/linkspider-nope",
                           "--allow-private-addresses")  # fmt: skip
        assert server.requests == []
    assert result.returncode == ExitCode.OUTPUT_NOT_WRITABLE == 3
    assert "cannot write the dataset to /proc/linkspider-nope" in result.stderr
    assert "choose a writable --out directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for args, message in (
        (["http://a.example/", "--run-id", "007"], "would be read as a number or date"),
        (["http://a.example/", "--run-id", "a/b"], "is not allowed"),
        (["--resume", "missing-run"], "no run missing-run in"),
        (["http://a.example/", "--max-depth", "x"], "invalid int value"),
    ):
        result = run_crawl(*args, "--out", str(tmp_path))
        assert result.returncode == ExitCode.USAGE == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    assert not (tmp_path / "pages").exists()


def test_every_seed_failing_exits_4(tmp_path: Path) -> None:
    result = run_crawl("http://127.0.0.1:9/", "--out", str(tmp_path), "--run-id", "dead",
                       "--allow-private-addresses", "-s", "RETRY_TIMES=0")  # fmt: skip
    assert result.returncode == ExitCode.NOTHING_FETCHED == 4, result.stderr[-2000:]
    assert "fetched nothing" in result.stderr
    record = read_run_record(tmp_path, "dead")
    assert (record.status, record.exit_code, record.pages_ok, record.pages_failed) == (
        "failed", 4, 0, 1)
    assert "no page answered 2xx" in record.error


def test_close_spider_limit_exits_1_as_ended_early(web, tmp_path: Path) -> None:
    result = run_crawl(*World(WORLD).seeds(), *local_web_args(web.proxy_url, tmp_path),
                       "--run-id", "limited", "-s", "CLOSESPIDER_ITEMCOUNT=20")  # fmt: skip
    assert result.returncode == ExitCode.ENDED_EARLY == 1, result.stderr[-2000:]
    assert "--resume limited" in result.stderr
    record = read_run_record(tmp_path, "limited")
    assert (record.status, record.finish_reason) == ("partial", "closespider_itemcount")


def test_sigterm_stops_cleanly_with_exit_1(web, tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    process = start_linkspider(
        "crawl", *World(WORLD).seeds(), *local_web_args(web.proxy_url, tmp_path),
        "--run-id", "stopped", "-s", "DOWNLOAD_DELAY=0.2", "--concurrency", "1", stderr=log,
    )  # fmt: skip
    try:
        _wait_for(lambda: (record := read_run_record(tmp_path, "stopped")) is not None
                  and record.status == "running")  # fmt: skip
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = log.read_text(errors="replace")
    assert process.returncode == ExitCode.ENDED_EARLY, stderr[-2000:]
    record = read_run_record(tmp_path, "stopped")
    assert (record.status, record.finish_reason, record.exit_code) == ("partial", "shutdown", 1)
    assert record.pages == read_table(tmp_path, "pages").num_rows > 0


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 512 KiB tmpfs: a disk that fills up mid-crawl (mounting needs root, as in CI)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (a disk that fills up)")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_disk_full_mid_crawl_stops_cleanly_with_exit_5_and_resumes(web, small_disk: Path) -> None:
    out = small_disk / "dataset"
    args = [*World(WORLD).seeds(), *local_web_args(web.proxy_url, out), "--run-id", "full",
            "-s", "LINKSPIDER_FILE_MAX_SECONDS=0.3", "-s", "DOWNLOAD_DELAY=0.05",
            "--concurrency", "2"]  # fmt: skip
    result = run_crawl(*args)
    assert result.returncode == ExitCode.OUTPUT_FAILED == 5, result.stderr[-3000:]
    assert "writing the dataset failed" in result.stderr and "No space left" in result.stderr
    assert "--resume full" in result.stderr and "Traceback" not in result.stderr
    files = list(out.glob("pages/*/*/*.parquet"))
    assert files, "some files were committed before the disk filled up"
    for path in [*files, *out.glob("links/*/*/*.parquet")]:
        pq.read_table(path)
    before = duckdb.sql(f"SELECT count(*) FROM '{out}/pages/**/*.parquet'").fetchall()[0][0]
    assert before < len(World(WORLD).ground_truth_pages())
    record = read_run_record(out, "full")  # room for it was set aside when the crawl started
    assert (record.status, record.exit_code, record.finish_reason) == ("failed", 5, "output_failed")
    assert "No space left on device" in record.error and record.pages == before

    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    again = run_crawl(*args, "--resume", "full")
    assert again.returncode == 0, again.stderr[-3000:]
    urls = read_table(out, "pages").column("url").to_pylist()
    assert len(urls) == len(set(urls)) > before
    assert [(r.status, r.resumed) for r in read_runs(out)] == [("complete", 1)]


def _wait_for(condition, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
