"""Readers never trip on the dataset: polars, DuckDB (``**`` globs), pandas and pyarrow's
directory scan (what Spark does) read every table while a crawl writes it and after one was
killed, and ``run`` reads back as a string partition in each."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from linkspider.runs import InvalidRunId, new_run_id, validate_run_id
from linkspider.runs.context import RunContext
from linkspider.web import LocalWebProcess, World, WorldConfig
from pipelines.parquet import ParquetExportPipeline
from linkspider.crawl.items import PageItem
from tests.crawling import local_web_args, start_linkspider

WORLD = WorldConfig(seed=12, sites=20)


def read_with_every_reader(out: Path) -> dict[str, int]:
    """Return the links rows each reader sees; assert ``run`` is a string in each."""
    rows = {}
    con = duckdb.connect()
    for glob in (f"{out}/links/**", f"{out}/links/**/*.parquet", f"{out}/**/links/*/*/*.parquet"):
        count, run_type = con.execute(
            f"SELECT count(*), any_value(typeof(run)) FROM read_parquet('{glob}', hive_partitioning = true)"
        ).fetchall()[0]
        assert run_type in ("VARCHAR", None), glob
        rows[f"duckdb {glob[len(str(out)):]}"] = count
    frame = pl.scan_parquet(out / "links", hive_partitioning=True).collect()
    assert frame.schema["run"] == pl.String
    rows["polars scan_parquet(links)"] = frame.height
    table = ds.dataset(out / "links", format="parquet", partitioning="hive").to_table()
    assert table.schema.field("run").type == pa.string()
    rows["pyarrow dataset(links)"] = table.num_rows
    frame = pd.read_parquet(out / "links")
    assert frame["run"].dtype != "int64"
    rows["pandas read_parquet(links)"] = len(frame)
    runs = pd.read_parquet(out / "runs")
    assert len(runs) == 1 and runs["status"].iloc[0] in ("running", "complete")
    return rows


def test_every_reader_reads_during_a_crawl_and_after_it_was_killed(tmp_path: Path) -> None:
    world = World(WORLD)
    with LocalWebProcess(world) as web:
        process = start_linkspider(
            "crawl", *world.seeds(), *local_web_args(web.proxy_url, tmp_path), "--run-id", "live",
            "-s", "LINKSPIDER_FILE_MAX_SECONDS=1",
            "-s", "LINKSPIDER_ROW_GROUP_ROWS=40",  # files open most of the time
            "-s", "DOWNLOAD_DELAY=0.05", "--concurrency", "2")  # fmt: skip
        try:
            staging = tmp_path / "_staging" / "run=live"
            deadline = time.monotonic() + 60
            while not (list(tmp_path.glob("links/*/*/*.parquet")) and list(staging.glob("*.tmp"))):
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.02)
            during = read_with_every_reader(tmp_path)  # a file is being written right now
            assert min(during.values()) > 0, during
            while not list(staging.glob("*.tmp")):
                assert time.monotonic() < deadline and process.poll() is None
            process.send_signal(signal.SIGKILL)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert list(staging.glob("*.tmp")), "the killed crawl left its unfinished files"
    after = read_with_every_reader(tmp_path)
    assert len(set(after.values())) == 1, after  # every reader sees the same rows


@pytest.mark.parametrize("run_id", ["20261202T081500Z-3fa9", "nightly-2026-12-01", "run-007",
                                    "a.b_c-1", "x"])  # fmt: skip
def test_valid_run_ids_read_back_as_strings_everywhere(run_id: str, tmp_path: Path) -> None:
    pipeline = ParquetExportPipeline(RunContext.for_new_run(tmp_path, run_id))
    pipeline.open_spider()
    pipeline.process_item(PageItem({"fetched_at": 0, "url": "http://a.com/", "final_url": None,
                                    "depth": 0, "hops": 0, "error": "x"}))  # fmt: skip
    pipeline.close_spider()
    root = tmp_path / "pages"
    assert duckdb.sql(f"SELECT run FROM read_parquet('{root}/**/*.parquet', hive_partitioning = true)"
                      ).fetchall() == [(run_id,)]  # fmt: skip
    assert pl.scan_parquet(root, hive_partitioning=True).collect()["run"].to_list() == [run_id]
    assert ds.dataset(root, partitioning="hive").to_table().column("run").to_pylist() == [run_id]
    assert pd.read_parquet(root)["run"].astype(str).tolist() == [run_id]


@pytest.mark.parametrize("run_id", ["7", "007", "1e5", "0x1F", "2026-12-01", "2026-12-01T10:00",
                                    "nan", "true", "", "-a", "a/b", "a b", "é", "x" * 65])  # fmt: skip
def test_run_ids_that_would_not_read_back_as_strings_are_refused(run_id: str) -> None:
    with pytest.raises(InvalidRunId):
        validate_run_id(run_id)


def test_generated_run_ids_are_valid_and_sort_by_start_time() -> None:
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    ids = [new_run_id(start + timedelta(seconds=s)) for s in (0, 1, 3600)]
    assert all(validate_run_id(i) == i for i in ids)
    assert ids == sorted(ids) and ids[0].startswith("20261231T235959Z-")
