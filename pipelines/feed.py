"""A Scrapy feed exporter for the ``parquet`` format: ``scrapy crawl backlinks -o links.parquet``.

Writes the ``links`` table by default; ``-o pages.parquet`` with the feed option
``item_export_kwargs: {table: pages}`` (or ``-o 'pages.parquet:parquet'`` plus
``FEEDS`` in settings) writes the ``pages`` table. Same schema as the dataset export.

A Parquet file cannot be appended to (its footer, the index of its row groups, ends the file),
so ``-o FILE.parquet`` onto a non-empty file is refused before the crawl starts by
``ParquetFeedAppendGuard`` (an extension, enabled in ``linkspider.settings``), and by the
exporter itself should the file be opened for appending anyway; ``-O`` overwrites.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

import pyarrow.parquet as pq
from scrapy.exceptions import NotConfigured
from scrapy.exporters import BaseItemExporter
from w3lib.url import file_uri_to_path

from linkspider.dataset.schema import LINK_PAGE_COLUMNS, SCHEMAS
from pipelines.parquet_writer import LinksBuffer, TableBuffer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

ROW_GROUP_ROWS = 65_536


class ParquetFeedError(ValueError):
    """A Parquet feed cannot be written as asked; the message says what to do."""


def append_refusal(path: str, size: int) -> ParquetFeedError:
    """Return the error for appending to the ``size``-byte file at ``path``."""
    return ParquetFeedError(
        f"{path} already holds {size:,} bytes, and a Parquet file cannot be appended to "
        f"(the result would be unreadable): use -O {path} to overwrite it, or -o a new file name"
    )


def local_feed_path(uri: str, spider_name: str) -> str | None:
    """Return the local file a feed URI writes to, or None when it is not a local file or its
    name is made per run (``%(time)s``, ``%(batch_id)d``).

    >>> local_feed_path("links.parquet", "backlinks")
    'links.parquet'
    >>> local_feed_path("file:///data/%(name)s.parquet", "backlinks")
    '/data/backlinks.parquet'
    >>> local_feed_path("s3://bucket/links.parquet", "backlinks") is None
    True
    """
    if "%(" in uri:
        try:
            uri = uri % {"name": spider_name}
        except (KeyError, ValueError, TypeError):
            return None
    scheme = urlsplit(uri).scheme
    if scheme == "file":
        return file_uri_to_path(uri)
    if len(scheme) <= 1:  # a plain path (or a Windows drive letter)
        return uri
    return None


class ParquetFeedAppendGuard:
    """Refuse to start a crawl whose ``parquet`` feed would append to a non-empty file."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetFeedAppendGuard:
        spider_name = getattr(crawler.spider, "name", "") or ""
        for uri, options in crawler.settings.getdict("FEEDS").items():
            options = options or {}
            if options.get("format") != "parquet" or options.get("overwrite", False):
                continue
            path = local_feed_path(str(uri), spider_name)
            if path is not None and os.path.isfile(path) and os.path.getsize(path) > 0:
                raise append_refusal(path, os.path.getsize(path))
        raise NotConfigured  # nothing to guard for the rest of the crawl


class ParquetItemExporter(BaseItemExporter):
    """Export ``PageItem``s to one Parquet file holding the ``links`` or ``pages`` table."""

    def __init__(self, file: BinaryIO, *, table: str = "links", **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        if table not in ("links", "pages"):
            raise ValueError(f"unknown table {table!r} for the parquet feed; use links or pages")
        try:
            position = file.tell() if file.seekable() else 0
        except (AttributeError, OSError, ValueError):  # e.g. a post-processing wrapper
            position = 0
        if position:  # opened for appending (-o) onto an existing file
            raise append_refusal(getattr(file, "name", "the feed file"), position)
        self.file = file
        self.table = table
        schema = SCHEMAS[table]
        self.buffer: LinksBuffer | TableBuffer = (
            LinksBuffer(schema, LINK_PAGE_COLUMNS) if table == "links" else TableBuffer(schema)
        )
        self.writer = pq.ParquetWriter(file, schema, compression="zstd")

    def export_item(self, item: Any) -> None:
        page = getattr(item, "page", None)
        if page is None:  # a SitemapItem: sitemap_urls has no feed
            return
        if self.table == "pages":
            self.buffer.append(page)  # type: ignore[union-attr]
        else:
            for source, columns in item.link_groups():
                self.buffer.append_page(source, columns)  # type: ignore[union-attr]
        if self.buffer.rows >= ROW_GROUP_ROWS:
            self.writer.write_table(self.buffer.take())

    def finish_exporting(self) -> None:
        if self.buffer.rows:
            self.writer.write_table(self.buffer.take())
        self.writer.close()
