"""The Parquet writer: typed columns, rolling files, and files that appear only when complete."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from linkspider.dataset.schema import LINK_PAGE_COLUMNS, LINKS_SCHEMA, PAGES_SCHEMA, SCHEMA_VERSION
from pipelines.parquet_writer import LinksBuffer, ParquetExportError, RollingParquetWriter, TableBuffer


def page_links(source: str, targets: list[str]) -> tuple[dict, dict]:
    page = {"run_id": "r1", "fetched_at": 1_700_000_000_000_000, "source_url": source,
            "source_host": "a.com", "referring_domain": "a.com"}  # fmt: skip
    n = len(targets)
    links = {
        "target_url": targets, "target_fragment": [None] * n, "target_host": ["b.org"] * n,
        "target_domain": ["b.org"] * n, "target_scheme": ["http"] * n,
        "anchor_text": [f"t{i}" for i in range(n)], "anchor_from_alt": [False] * n,
        "tag": ["a"] * n, "rel": [["nofollow"]] * n, "nofollow": [True] * n, "ugc": [False] * n,
        "sponsored": [False] * n, "follow": [False] * n, "follow_reason": ["rel_nofollow"] * n,
        "is_external": [True] * n, "position": list(range(n)), "link_kind": ["a"] * n,
    }  # fmt: skip
    return page, links


def test_links_buffer_repeats_page_columns_for_each_link() -> None:
    buffer = LinksBuffer(LINKS_SCHEMA, LINK_PAGE_COLUMNS)
    buffer.append_page(*page_links("http://a.com/1", ["http://b.org/x", "http://b.org/y"]))
    buffer.append_page(*page_links("http://a.com/2", []))
    buffer.append_page(*page_links("http://a.com/3", ["http://b.org/z"]))
    table = buffer.take()
    assert table.schema == LINKS_SCHEMA
    assert table.column("source_url").to_pylist() == [
        "http://a.com/1", "http://a.com/1", "http://a.com/3"
    ]  # fmt: skip
    assert table.column("target_url").to_pylist() == [
        "http://b.org/x", "http://b.org/y", "http://b.org/z"
    ]  # fmt: skip
    assert table.column("position").to_pylist() == [0, 1, 0]
    assert buffer.rows == 0


def test_table_buffer_fills_missing_columns_with_null() -> None:
    buffer = TableBuffer(PAGES_SCHEMA)
    buffer.append({"run_id": "r", "fetched_at": 0, "url": "http://a.com/", "depth": 0,
                   "links_count": 0, "status": 404})  # fmt: skip
    row = buffer.take().to_pylist()[0]
    assert row["status"] == 404 and row["title"] is None and row["error"] is None


def test_files_roll_every_n_rows_and_read_back_typed(tmp_path: Path) -> None:
    writer = RollingParquetWriter(tmp_path, LINKS_SCHEMA, rows_per_file=4, writer_id="w")
    for i in range(5):
        buffer = LinksBuffer(LINKS_SCHEMA, LINK_PAGE_COLUMNS)
        buffer.append_page(*page_links(f"http://a.com/{i}", ["http://b.org/1", "http://b.org/2"]))
        writer.write(buffer.take())
    writer.close()
    files = sorted(tmp_path.glob("*.parquet"))
    assert [f.name for f in files] == ["part-w-00000.parquet", "part-w-00001.parquet",
                                       "part-w-00002.parquet"]  # fmt: skip
    assert [pq.ParquetFile(f).metadata.num_rows for f in files] == [4, 4, 2]
    table = ds.dataset(tmp_path, format="parquet").to_table()
    assert table.num_rows == 10
    assert table.schema.field("rel").type == pa.list_(pa.string())
    assert table.schema.field("referring_domain").type == pa.dictionary(pa.int32(), pa.string())
    assert table.schema.field("fetched_at").type == pa.timestamp("us", tz="UTC")
    assert pq.read_schema(files[0]).metadata[b"linkspider.schema_version"] == SCHEMA_VERSION.encode()
    assert pq.ParquetFile(files[0]).metadata.row_group(0).column(0).compression == "ZSTD"


def test_open_file_is_invisible_to_readers_until_rolled(tmp_path: Path) -> None:
    writer = RollingParquetWriter(tmp_path, LINKS_SCHEMA, rows_per_file=100, writer_id="w")
    buffer = LinksBuffer(LINKS_SCHEMA, LINK_PAGE_COLUMNS)
    buffer.append_page(*page_links("http://a.com/", ["http://b.org/1"]))
    writer.write(buffer.take())
    assert list(tmp_path.glob("*.parquet")) == []
    assert [p.name for p in tmp_path.iterdir()] == [".part-w-00000.parquet.tmp"]
    glob = str(tmp_path / "*.parquet")
    with pytest.raises(duckdb.IOException):
        duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()
    writer.close()
    assert duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone() == (1,)


def test_old_file_is_rolled_even_when_not_full(tmp_path: Path) -> None:
    writer = RollingParquetWriter(tmp_path, PAGES_SCHEMA, rows_per_file=1000,
                                  max_file_seconds=0.0, writer_id="w")  # fmt: skip
    buffer = TableBuffer(PAGES_SCHEMA)
    buffer.append({"run_id": "r", "fetched_at": 0, "url": "u", "depth": 0, "links_count": 0})
    writer.write(buffer.take())
    assert [p.name for p in tmp_path.iterdir()] == ["part-w-00000.parquet"]


def test_unwritable_directory_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    writer = RollingParquetWriter(blocker / "sub", PAGES_SCHEMA)
    buffer = TableBuffer(PAGES_SCHEMA)
    buffer.append({"run_id": "r", "fetched_at": 0, "url": "u", "depth": 0, "links_count": 0})
    with pytest.raises(ParquetExportError, match="check the --out directory is writable"):
        writer.write(buffer.take())
