"""``LINKSPIDER_COMPRESSION``: every codec and level the setting accepts writes a dataset that
pyarrow, DuckDB and polars read; anything else is refused before the crawl, in one line."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linkspider.web import LocalWebProcess, World, WorldConfig
from pipelines.parquet_writer import CODECS, RollingParquetWriter, parquet_compression
from tests.crawling import local_web_args, run_crawl

SCHEMA = pa.schema([("url", pa.string()), ("n", pa.int64())])


@pytest.mark.parametrize("setting", [*CODECS, "zstd:1", "zstd:19", "gzip:9", "brotli:5", "SNAPPY"])
def test_each_codec_writes_files_every_reader_reads(tmp_path: Path, setting: str) -> None:
    writer = RollingParquetWriter(tmp_path / "t", SCHEMA, compression=setting)
    writer.write(pa.table({"url": [f"http://a.example/{i}" for i in range(1000)], "n": list(range(1000))}))
    path = writer.roll()
    codec = parquet_compression(setting)[0]
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == (
        "UNCOMPRESSED" if codec == "none" else codec.upper())
    assert pq.read_table(path).num_rows == 1000
    assert duckdb.sql(f"SELECT sum(n) FROM read_parquet('{path}')").fetchall()[0][0] == 499500
    assert pl.read_parquet(path)["n"].sum() == 499500


@pytest.mark.parametrize("setting, words", [
    ("zip", "use one of zstd, snappy"), ("zstd:99", "zstd levels go from"),
    ("snappy:3", "only zstd, gzip and brotli take a level"), ("zstd:high", "an integer"),
])  # fmt: skip
def test_other_values_are_refused_naming_what_is_accepted(setting: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parquet_compression(setting)


def test_a_crawl_with_another_codec_writes_a_dataset_duckdb_and_polars_read(tmp_path: Path) -> None:
    world = World(WorldConfig(seed=2, sites=3, pages_per_site=4))
    with LocalWebProcess(world) as web:
        result = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, tmp_path / "out"),
                           "-s", "LINKSPIDER_COMPRESSION=snappy")  # fmt: skip
        refused = run_crawl(*world.seeds(), *local_web_args(web.proxy_url, tmp_path / "bad"),
                            "-s", "LINKSPIDER_COMPRESSION=zstd:99")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    files = sorted((tmp_path / "out" / "links").rglob("*.parquet"))
    assert files and all(pq.ParquetFile(f).metadata.row_group(0).column(0).compression == "SNAPPY"
                         for f in files)  # fmt: skip
    links = duckdb.sql(f"SELECT count(*) FROM read_parquet('{tmp_path}/out/links/*/*/*.parquet')").fetchall()[0][0]
    assert links > 50
    assert pl.scan_parquet(f"{tmp_path}/out/links/*/*/*.parquet").select(pl.len()).collect().item() == links
    assert refused.returncode == 2 and "zstd levels go from" in refused.stderr
    assert "Traceback" not in refused.stderr
