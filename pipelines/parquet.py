"""Export pages and links as a Hive-partitioned Parquet dataset, one directory per run.

Layout (``linkspider.dataset.layout``):
``<LINKSPIDER_OUTPUT_DIR>/{links,pages}/crawl_date=YYYY-MM-DD/run=<run id>/part-*.parquet``, and
``sitemap_urls/`` likewise for the ``SitemapItem`` of each sitemap read (``--sitemaps``).
Rows are buffered up to ``LINKSPIDER_ROW_GROUP_ROWS`` and written as row groups into files in
the run's staging directory. The two tables are committed together: every
``LINKSPIDER_FILE_MAX_SECONDS`` (checked on a timer, so rows reach a closed file in time even
when no page arrives) or ``LINKSPIDER_ROWS_PER_FILE`` rows, the ``links`` file and then its
``pages`` twin (same name) are renamed into place (a ``sitemap_urls`` part, when there is
one, before its ``pages`` twin). The dataset is thereby the run's journal
(``linkspider.runs.journal``): a killed crawl is resumed from it. Each response received is
also appended to a fetch log in the staging directory, so a resume can say how many pages it
fetches again. When writing fails (disk full, permissions), the crawl is stopped cleanly with
``output_failed``; the files already in place stay complete. After each commit the pipeline
sends ``linkspider.crawl.signals.rows_committed`` (a distributed run acknowledges its requests then),
before its renames ``rows_committing`` (with the leases of the rows and the ``pages`` file's
path: a distributed run marks its entries, so a page is stored once even when its worker dies
before the acknowledgement), and it commits at once on ``linkspider.crawl.signals.commit_requested``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from linkspider.crawl import signals as linkspider_signals
from linkspider.dataset.layout import ensure_writable, run_directory
from linkspider.runs.context import RunContext
from linkspider.runs.exitcodes import OUTPUT_FAILED_REASON
from linkspider.crawl.items import SitemapItem
from linkspider.crawl.memory import release_freed_memory
from linkspider.dataset.schema import LINK_PAGE_COLUMNS, LINKS_SCHEMA, PAGES_SCHEMA, SITEMAP_URLS_SCHEMA
from pipelines.parquet_writer import (
    LinksBuffer,
    ParquetExportError,
    RollingParquetWriter,
    TableBuffer,
    unfinished_files,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from linkspider.crawl.items import PageItem


logger = logging.getLogger(__name__)

#: Space set aside in the staging directory when the crawl starts and freed when writing fails,
#: so that the run's record can still say what happened on a full disk.
RESERVED_BYTES = 128 * 1024


def with_run_metadata(schema: pa.Schema, run_id: str) -> pa.Schema:
    """Return ``schema`` with the run id added to its metadata."""
    metadata = dict(schema.metadata or {})
    metadata[b"linkspider.run_id"] = run_id.encode()
    return schema.with_metadata(metadata)


class ParquetExportPipeline:
    """Write every ``PageItem`` to the ``pages`` table and its links to the ``links`` table."""

    def __init__(
        self,
        context: RunContext,
        rows_per_file: int = 1_000_000,
        row_group_rows: int = 65_536,
        max_file_seconds: float = 60.0,
        compression: str = "zstd",
        stats: StatsCollector | None = None,
        crawler: Crawler | None = None,
    ) -> None:
        self.context = context
        self.run_id = context.run_id
        self.output_dir = context.root
        self.row_group_rows = row_group_rows
        self.rows_per_file = rows_per_file
        self.max_file_seconds = max_file_seconds
        self.stats = stats
        self.crawler = crawler
        self.writers = {
            table: RollingParquetWriter(
                run_directory(context.root, table, context.run_id, context.crawl_date),
                with_run_metadata(schema, context.run_id),
                rows_per_file=rows_per_file,
                max_file_seconds=max_file_seconds,
                compression=compression,
                writer_id=context.writer_id,
                staging=context.staging,
                staging_prefix=f"{table}-",
                auto_roll=False,
            )
            for table, schema in (("links", LINKS_SCHEMA), ("sitemap_urls", SITEMAP_URLS_SCHEMA),
                                  ("pages", PAGES_SCHEMA))
        }
        self.links = LinksBuffer(self.writers["links"].schema, LINK_PAGE_COLUMNS)
        self.pages = TableBuffer(self.writers["pages"].schema)
        self.sitemap_urls = TableBuffer(self.writers["sitemap_urls"].schema)
        self.commits = 0
        #: frontier entries (distributed run) whose rows are buffered or in the open files
        self.leases: list[str] = []
        self.failed: str | None = None
        self._oldest_uncommitted: float | None = None
        self._fetch_log: Any = None
        self._reserve: Path | None = None
        self._timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetExportPipeline:
        s = crawler.settings
        pipeline = cls(
            RunContext.for_crawler(crawler),
            rows_per_file=s.getint("LINKSPIDER_ROWS_PER_FILE"),
            row_group_rows=s.getint("LINKSPIDER_ROW_GROUP_ROWS"),
            max_file_seconds=s.getfloat("LINKSPIDER_FILE_MAX_SECONDS"),
            compression=s.get("LINKSPIDER_COMPRESSION"),
            stats=crawler.stats,
            crawler=crawler,
        )
        crawler.signals.connect(pipeline.commit_now, signal=linkspider_signals.commit_requested)
        return pipeline

    # -- lifecycle ---------------------------------------------------------------------------

    def open_spider(self, spider: Any = None) -> None:
        staging = ensure_writable(self.output_dir, self.run_id)  # before the first request
        logger.info(
            "writing run %s to %s", self.run_id,
            run_directory(self.output_dir, "{links,pages}", self.run_id, self.context.crawl_date),
        )  # fmt: skip
        self.remove_unfinished_files()
        self._reserve = staging / f"reserve-{self.context.writer_id}"
        with open(self._reserve, "wb") as handle:  # freed when writing fails: room for the record
            handle.write(bytes(RESERVED_BYTES))
        self._fetch_log = open(staging / f"fetched-{self.context.writer_id}.log", "ab", buffering=0)
        self._timer = task.LoopingCall(self.commit_if_due)
        self._timer.start(self.timer_seconds, now=False)

    @property
    def timer_seconds(self) -> float:
        """How often the age of uncommitted rows is checked."""
        return max(0.05, min(1.0, self.max_file_seconds / 4))

    def close_spider(self, spider: Any = None) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if self.failed is None:
            try:
                self.commit()
            except ParquetExportError as exc:
                self._fail(exc)
        if self._fetch_log is not None:
            self._fetch_log.close()
        if self._reserve is not None:
            self._reserve.unlink(missing_ok=True)
        if self.stats is not None:
            for name, writer in self.writers.items():
                self.stats.set_value(f"linkspider/{name}_rows_written", writer.rows_written)
                self.stats.set_value(f"linkspider/{name}_files", len(writer.files))

    def remove_unfinished_files(self) -> list:
        """Delete the hidden temporary files that crawls of linkspider before the staging
        directory left in the tables when killed on this host, and say so."""
        prefix = self.context.writer_id.rsplit("-", 1)[0]
        stale = [path for table in ("links", "pages")
                 for path in unfinished_files(self.output_dir / table, prefix)]  # fmt: skip
        for path in stale:
            path.unlink(missing_ok=True)
        if stale:
            logger.warning("removed %d unfinished Parquet file(s) left by killed crawls, e.g. %s",
                           len(stale), stale[0])  # fmt: skip
        return stale

    # -- items -------------------------------------------------------------------------------

    def process_item(self, item: PageItem | SitemapItem, spider: Any = None) -> PageItem | SitemapItem:
        if self.failed is not None:
            if self.stats is not None:
                self.stats.inc_value("linkspider/pages_not_written")
            return item
        if isinstance(item, SitemapItem):
            return self._sitemap_rows(item)
        page = item.page
        page["run_id"] = self.run_id
        page.setdefault("links_count", item.links_count)
        self.pages.append(page)
        if item.lease is not None:
            self.leases.append(item.lease)
        for source, columns in item.link_groups():
            self.links.append_page(source, columns)
        if self._oldest_uncommitted is None:
            self._oldest_uncommitted = time.monotonic()
        try:
            self._fetch_log.write(f"{page['url']}\n".encode("utf-8", "surrogateescape"))
            if self.links.rows >= self.row_group_rows or self.pages.rows >= self.row_group_rows:
                self.write_buffers()
            self.commit_if_due()
        except (ParquetExportError, OSError) as exc:
            self._fail(exc)
        return item

    def _sitemap_rows(self, item: SitemapItem) -> SitemapItem:
        """Buffer a sitemap's rows (committed with the next pages file)."""
        for row in item.rows:
            row["run_id"] = self.run_id
            self.sitemap_urls.append(row)
        if self._oldest_uncommitted is None:
            self._oldest_uncommitted = time.monotonic()
        try:
            if self.sitemap_urls.rows >= self.row_group_rows:
                self.writers["sitemap_urls"].write(self.sitemap_urls.take())
            self.commit_if_due()
        except (ParquetExportError, OSError) as exc:
            self._fail(exc)
        return item

    def write_buffers(self) -> None:
        """Write the buffered rows into the open files as row groups."""
        for name, buffer in (("links", self.links), ("sitemap_urls", self.sitemap_urls),
                             ("pages", self.pages)):
            if buffer.rows:
                self.writers[name].write(buffer.take())
        release_freed_memory()

    def commit_due(self) -> bool:
        """Return True when the uncommitted rows are old enough, or the files full enough."""
        if self._oldest_uncommitted is None:
            return False
        age = time.monotonic() - self._oldest_uncommitted
        if age + self.timer_seconds >= self.max_file_seconds:
            return True
        return (self.writers["links"].file_rows + self.links.rows >= self.rows_per_file
                or self.writers["pages"].file_rows + self.pages.rows >= self.rows_per_file)  # fmt: skip

    def commit_if_due(self) -> None:
        if self.failed is None and self.commit_due():
            try:
                self.commit()
            except ParquetExportError as exc:
                self._fail(exc)

    def commit(self) -> None:
        """Put every row received so far into closed files: the links part, then its pages
        twin (the commit marker, see ``linkspider.runs.journal``)."""
        self.write_buffers()
        pages = self.writers["pages"]
        if self.leases and pages.has_open_file() and self.crawler is not None:
            self.crawler.signals.send_catch_log(linkspider_signals.rows_committing,
                                                leases=self.leases,
                                                pages_file=pages.final_path(self.commits))  # fmt: skip
        self.leases = []
        links_path = self.writers["links"].roll(self.commits)
        sitemap_path = self.writers["sitemap_urls"].roll(self.commits)
        pages_path = self.writers["pages"].roll(self.commits)
        if links_path is not None or pages_path is not None or sitemap_path is not None:
            self.commits += 1
        self._oldest_uncommitted = None
        if self.crawler is not None:  # e.g. the distributed scheduler acknowledges its leases
            self.crawler.signals.send_catch_log(linkspider_signals.rows_committed)

    def commit_now(self) -> None:
        """Commit what the pipeline holds now (``linkspider.crawl.signals.commit_requested``)."""
        if self.failed is None:
            try:
                self.commit()
            except ParquetExportError as exc:
                self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        """Stop the crawl cleanly after a write failed; keep the files already in place."""
        message = (f"writing the dataset failed: {exc}. The crawl stops; the files already in "
                   f"{self.output_dir} are complete. Free space or fix permissions, then continue "
                   f"with: linkspider crawl ... --out {self.output_dir} --resume {self.run_id}")  # fmt: skip
        self.failed = message
        logger.error(message)
        for writer in self.writers.values():
            writer.abandon()
        if self._reserve is not None:
            self._reserve.unlink(missing_ok=True)
        if self.stats is not None:
            self.stats.set_value("linkspider/output_error", message)
        engine = getattr(self.crawler, "engine", None)
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=OUTPUT_FAILED_REASON))
