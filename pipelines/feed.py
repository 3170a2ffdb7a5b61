"""A Scrapy feed exporter for the ``parquet`` format: ``scrapy crawl backlinks -o links.parquet``.

Writes the ``links`` table by default; ``-o pages.parquet`` with the feed option
``item_export_kwargs: {table: pages}`` (or ``-o 'pages.parquet:parquet'`` plus
``FEEDS`` in settings) writes the ``pages`` table. Same schema as the dataset export.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import pyarrow.parquet as pq
from scrapy.exporters import BaseItemExporter

from linkspider.schema import LINK_PAGE_COLUMNS, SCHEMAS
from pipelines.parquet_writer import LinksBuffer, TableBuffer

ROW_GROUP_ROWS = 65_536


class ParquetItemExporter(BaseItemExporter):
    """Export ``PageItem``s to one Parquet file holding the ``links`` or ``pages`` table."""

    def __init__(self, file: BinaryIO, *, table: str = "links", **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        if table not in ("links", "pages"):
            raise ValueError(f"unknown table {table!r} for the parquet feed; use links or pages")
        self.file = file
        self.table = table
        schema = SCHEMAS[table]
        self.buffer: LinksBuffer | TableBuffer = (
            LinksBuffer(schema, LINK_PAGE_COLUMNS) if table == "links" else TableBuffer(schema)
        )
        self.writer = pq.ParquetWriter(file, schema, compression="zstd")

    def export_item(self, item: Any) -> None:
        page = item.page
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
