"""Export pages and links as a Hive-partitioned Parquet dataset, one directory per run.

Layout: ``<LINKSPIDER_OUTPUT_DIR>/{links,pages}/crawl_date=YYYY-MM-DD/run=<run id>/part-*.parquet``.
Rows are buffered up to ``LINKSPIDER_ROW_GROUP_ROWS`` and written as row groups; files are
rolled every ``LINKSPIDER_ROWS_PER_FILE`` rows or ``LINKSPIDER_FILE_MAX_SECONDS`` seconds and
appear atomically (see ``parquet_writer``). Settings are documented in ``linkspider.settings``.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkspider.schema import LINK_PAGE_COLUMNS, LINKS_SCHEMA, PAGES_SCHEMA
from pipelines.parquet_writer import (
    LinksBuffer,
    RollingParquetWriter,
    TableBuffer,
    unfinished_files,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from linkspider.items import PageItem


logger = logging.getLogger(__name__)


def new_run_id(now: datetime | None = None) -> str:
    """Return a sortable, unique run id such as ``20261125T203710Z-3fa9``."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def run_directory(root: str | os.PathLike[str], table: str, run_id: str, crawl_date: str) -> Path:
    """Return the partition directory of one table of one run."""
    return Path(root) / table / f"crawl_date={crawl_date}" / f"run={run_id}"


def with_run_metadata(schema: pa.Schema, run_id: str) -> pa.Schema:
    """Return ``schema`` with the run id added to its metadata."""
    metadata = dict(schema.metadata or {})
    metadata[b"linkspider.run_id"] = run_id.encode()
    return schema.with_metadata(metadata)


class ParquetExportPipeline:
    """Write every ``PageItem`` to the ``pages`` table and its links to the ``links`` table."""

    def __init__(
        self,
        output_dir: str,
        run_id: str = "",
        rows_per_file: int = 1_000_000,
        row_group_rows: int = 65_536,
        max_file_seconds: float = 60.0,
        compression: str = "zstd",
        stats: StatsCollector | None = None,
    ) -> None:
        started = datetime.now(timezone.utc)
        self.run_id = run_id or new_run_id(started)
        self.crawl_date = f"{started:%Y-%m-%d}"
        self.output_dir = output_dir
        self.row_group_rows = row_group_rows
        self.max_file_seconds = max_file_seconds
        self.stats = stats
        self.host_id = socket.gethostname().replace("/", "_")
        writer_id = f"{self.host_id}-{os.getpid()}"
        self.writers = {
            table: RollingParquetWriter(
                run_directory(output_dir, table, self.run_id, self.crawl_date),
                with_run_metadata(schema, self.run_id),
                rows_per_file=rows_per_file,
                max_file_seconds=max_file_seconds,
                compression=compression,
                writer_id=writer_id,
            )
            for table, schema in (("links", LINKS_SCHEMA), ("pages", PAGES_SCHEMA))
        }
        self.links = LinksBuffer(self.writers["links"].schema, LINK_PAGE_COLUMNS)
        self.pages = TableBuffer(self.writers["pages"].schema)
        self._last_flush = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetExportPipeline:
        s = crawler.settings
        pipeline = cls(
            output_dir=s.get("LINKSPIDER_OUTPUT_DIR"),
            run_id=s.get("LINKSPIDER_RUN_ID") or "",
            rows_per_file=s.getint("LINKSPIDER_ROWS_PER_FILE"),
            row_group_rows=s.getint("LINKSPIDER_ROW_GROUP_ROWS"),
            max_file_seconds=s.getfloat("LINKSPIDER_FILE_MAX_SECONDS"),
            compression=s.get("LINKSPIDER_COMPRESSION"),
            stats=crawler.stats,
        )
        if crawler.stats is not None:
            crawler.stats.set_value("linkspider/run_id", pipeline.run_id)
        return pipeline

    def open_spider(self, spider: Any = None) -> None:
        # Say where the data goes before the first file exists.
        logger.info(
            "writing run %s to %s", self.run_id,
            run_directory(self.output_dir, "{links,pages}", self.run_id, self.crawl_date),
        )  # fmt: skip
        self.remove_unfinished_files()

    def remove_unfinished_files(self) -> list[Path]:
        """Delete the unreadable temporary files that crawls killed on this host left in the
        dataset, and say so; return their paths."""
        stale = [path for table in ("links", "pages")
                 for path in unfinished_files(Path(self.output_dir) / table, self.host_id)]  # fmt: skip
        for path in stale:
            path.unlink(missing_ok=True)
        if stale:
            logger.warning(
                "removed %d unfinished Parquet file(s) left by killed crawls, e.g. %s: a killed "
                "crawl loses the rows of its open file, at most LINKSPIDER_FILE_MAX_SECONDS "
                "(%s s) of crawling per table", len(stale), stale[0], self.max_file_seconds,
            )  # fmt: skip
        if self.stats is not None and stale:
            self.stats.set_value("linkspider/unfinished_files_removed", len(stale))
        return stale

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        page = item.page
        page["run_id"] = self.run_id
        page.setdefault("links_count", item.links_count)
        self.pages.append(page)
        for source, columns in item.link_groups():
            self.links.append_page(source, columns)
        if (
            self.links.rows >= self.row_group_rows
            or self.pages.rows >= self.row_group_rows
            or time.monotonic() - self._last_flush >= self.max_file_seconds
        ):
            self.flush()
        return item

    def flush(self) -> None:
        """Write the buffered rows, and roll files that are due."""
        for name, buffer in (("links", self.links), ("pages", self.pages)):
            writer = self.writers[name]
            if buffer.rows:
                writer.write(buffer.take())
            elif writer.file_due():
                writer.roll()
        self._last_flush = time.monotonic()

    def close_spider(self, spider: Any = None) -> None:
        self.flush()
        for name, writer in self.writers.items():
            writer.close()
            if self.stats is not None:
                self.stats.set_value(f"linkspider/{name}_rows_written", writer.rows_written)
                self.stats.set_value(f"linkspider/{name}_files", len(writer.files))
