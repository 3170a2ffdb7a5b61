"""``TargetsParquetPipeline``: the check's rows into ``DIR/targets/run=ID/part-*.parquet``.

Rows are written through ``RollingParquetWriter`` (staged under ``DIR/_staging``, renamed into
place when complete), a file closed every ``LINKSPIDER_FILE_MAX_SECONDS`` on a timer and at the
end, so a killed check loses at most that much and every file on disk is readable; checking
the run again fetches only what is missing. Settings: ``LINKSPIDER_OUTPUT_DIR``,
``LINKSPIDER_TARGETS_RUN_ID`` (the run whose targets these are), ``LINKSPIDER_FILE_MAX_SECONDS``,
``LINKSPIDER_COMPRESSION``.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twisted.internet import task

from linkspider.dataset.layout import staging_directory
from linkspider.dataset.schema import TARGETS_SCHEMA
from linkspider.targets.selection import targets_directory
from pipelines.parquet_writer import RollingParquetWriter, TableBuffer

if TYPE_CHECKING:
    import pyarrow as pa
    from scrapy.crawler import Crawler


def writer_id() -> str:
    """Return a part-file writer id unique to this process and moment."""
    return f"{socket.gethostname()}-{os.getpid()}-{int(time.time() * 1000):x}"


def write_targets(root: str | os.PathLike[str], run_id: str, table: pa.Table) -> Path | None:
    """Write ``table`` as one complete part file of the run's ``targets``; return its path."""
    if table.num_rows == 0:
        return None
    writer = RollingParquetWriter(targets_directory(root, run_id), TARGETS_SCHEMA, writer_id=writer_id(),
                                  staging=staging_directory(root, run_id), staging_prefix="targets-")  # fmt: skip
    writer.write(table)
    return writer.close()


class TargetsParquetPipeline:
    """Buffer the check's rows (one dict per target) and write them as part files."""

    def __init__(self, root: str, run_id: str, max_seconds: float = 60.0, compression: str = "zstd") -> None:
        self.root, self.run_id = root, run_id
        self.buffer = TableBuffer(TARGETS_SCHEMA)
        self.writer = RollingParquetWriter(
            targets_directory(root, run_id), TARGETS_SCHEMA, max_file_seconds=max_seconds,
            compression=compression, writer_id=writer_id(), staging=staging_directory(root, run_id),
            staging_prefix="targets-", auto_roll=False,
        )  # fmt: skip
        self.rows = 0
        self._timer: task.LoopingCall | None = None
        self._max_seconds = max_seconds
        self._crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TargetsParquetPipeline:
        settings = crawler.settings
        pipeline = cls(settings.get("LINKSPIDER_OUTPUT_DIR"), settings.get("LINKSPIDER_TARGETS_RUN_ID"),
                       settings.getfloat("LINKSPIDER_FILE_MAX_SECONDS", 60.0),
                       settings.get("LINKSPIDER_COMPRESSION", "zstd"))  # fmt: skip
        pipeline._crawler = crawler
        return pipeline

    def open_spider(self, spider: Any = None) -> None:
        self._timer = task.LoopingCall(self.flush, roll=True)
        self._timer.start(max(1.0, self._max_seconds / 4), now=False)

    def process_item(self, item: dict, spider: Any = None) -> dict:
        self.buffer.append(item)
        self.rows += 1
        if self.buffer.rows >= 4096:
            self.flush()
        return item

    def flush(self, roll: bool = False) -> None:
        """Write the buffered rows; close the file into place when it is due (or ``roll``)."""
        if self.buffer.rows:
            self.writer.write(self.buffer.take())
        if roll and self.writer.file_due():
            self.writer.roll()

    def close_spider(self, spider: Any = None) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        for row in getattr(spider, "leftover_rows", lambda: [])():
            self.process_item(row)
        self.flush()
        self.writer.close()
        staging = staging_directory(self.root, self.run_id)
        try:
            staging.rmdir()  # only when empty: a crawl of the run may still be using it
        except OSError:
            pass
