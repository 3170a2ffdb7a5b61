"""``scrapy crawl backlinks -o FILE.parquet`` never appends to an existing Parquet file: it
refuses before the first request and says to use ``-O``, which overwrites."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.feed import ParquetFeedError, ParquetItemExporter
from tests.conftest import PROJECT_ROOT
from tests.crawling import LoopbackHandler, read_table, serving

PAGE = b'<html><body><a href="http://elsewhere.example/">out</a> <a href="/b">b</a></body></html>'


class TwoPages(LoopbackHandler):
    def answer(self) -> None:
        if self.path == "/robots.txt":
            self.reply(404, b"")
        else:
            self.reply(200, PAGE)


def scrapy_crawl(seed: str, out: Path, *feed: str) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy crawl backlinks`` from the project folder with the feed options ``feed``."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "backlinks", "-a", f"seeds={seed}", *feed,
         "-s", "LINKSPIDER_ALLOW_PRIVATE_ADDRESSES=True", "-s", "AUTOTHROTTLE_ENABLED=False",
         "-s", f"LINKSPIDER_OUTPUT_DIR={out}", "-s", "LOG_LEVEL=WARNING"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )  # fmt: skip


@pytest.fixture
def existing_feed(tmp_path: Path) -> Path:
    """A readable Parquet file already where the feed goes."""
    path = tmp_path / "links.parquet"
    pq.write_table(pa.table({"earlier": ["export"]}), path)
    return path


def test_o_onto_an_existing_parquet_file_is_refused_before_any_request(existing_feed: Path, tmp_path: Path) -> None:
    before = existing_feed.read_bytes()
    with serving(TwoPages) as server:
        result = scrapy_crawl(server.url, tmp_path / "dataset", "-o", str(existing_feed))
    assert result.returncode != 0
    assert f"{existing_feed} already holds {len(before):,} bytes" in result.stderr
    assert f"use -O {existing_feed} to overwrite it" in result.stderr
    assert server.requests == []  # refused before the crawl started
    assert existing_feed.read_bytes() == before
    assert pq.read_table(existing_feed).column_names == ["earlier"]


def test_O_overwrites_an_existing_parquet_file(existing_feed: Path, tmp_path: Path) -> None:
    with serving(TwoPages) as server:
        result = scrapy_crawl(server.url, tmp_path / "dataset", "-O", str(existing_feed))
    assert result.returncode == 0, result.stderr[-2000:]
    exported = pq.read_table(existing_feed)
    assert "earlier" not in exported.column_names
    assert exported.num_rows == read_table(tmp_path / "dataset", "links").num_rows > 0


def test_o_onto_an_empty_file_writes_it(tmp_path: Path) -> None:
    feed = tmp_path / "links.parquet"
    feed.touch()  # e.g. made by mktemp
    with serving(TwoPages) as server:
        result = scrapy_crawl(server.url, tmp_path / "dataset", "-o", str(feed))
    assert result.returncode == 0, result.stderr[-2000:]
    assert pq.read_table(feed).num_rows == read_table(tmp_path / "dataset", "links").num_rows > 0


def test_exporter_refuses_a_file_opened_for_appending_to_existing_bytes(existing_feed: Path) -> None:
    with open(existing_feed, "ab") as appended, pytest.raises(ParquetFeedError, match="use -O"):
        ParquetItemExporter(appended)
