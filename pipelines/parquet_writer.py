"""Write a table as a series of Parquet files that are each complete before they appear.

``RollingParquetWriter`` appends row groups to a temporary file in a staging directory (the
dataset's ``_staging``, outside every table, so no reader's glob or directory scan meets it;
by default a hidden ``.part-....parquet.tmp`` beside the files) and renames it into place when
it reaches its row or age limit, or on close. A process killed at any moment therefore leaves
only complete, readable ``part-*.parquet`` files, losing at most the open file's rows.
``TableBuffer`` and ``LinksBuffer`` collect rows as Python column lists and turn them into
Arrow tables in one call per column.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from linkspider.dataset.layout import process_alive


class ParquetExportError(RuntimeError):
    """Writing the dataset failed; the message names the path and what to check."""


class TableBuffer:
    """Rows of one table, buffered column by column."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.columns: dict[str, list] = {name: [] for name in schema.names}
        self.rows = 0

    def append(self, row: Mapping[str, Any]) -> None:
        """Add one row; missing columns are null."""
        for name, values in self.columns.items():
            values.append(row.get(name))
        self.rows += 1

    def take(self) -> pa.Table:
        """Return the buffered rows as a table and empty the buffer."""
        table = pa.Table.from_pydict(self.columns, schema=self.schema)
        self.columns = {name: [] for name in self.schema.names}
        self.rows = 0
        return table


class LinksBuffer:
    """Links rows buffered as one entry per page for page-level columns plus link columns.

    Values shared by all links of a page (source URL, referring domain, ...) are stored once per
    page and expanded with an Arrow ``take`` when the buffer is turned into a table.
    """

    def __init__(self, schema: pa.Schema, page_columns: Sequence[str]) -> None:
        self.schema = schema
        self.page_columns = tuple(page_columns)
        self.link_columns = tuple(n for n in schema.names if n not in self.page_columns)
        self._reset()

    def _reset(self) -> None:
        self.pages: dict[str, list] = {name: [] for name in self.page_columns}
        self.links: dict[str, list] = {name: [] for name in self.link_columns}
        self.page_index: list[int] = []
        self.rows = 0

    def append_page(self, page_values: Mapping[str, Any], links: Mapping[str, list]) -> None:
        """Add the links of one page: ``links`` maps link columns to values (missing: null)."""
        count = len(links["target_url"])
        if not count:
            return
        index = len(self.pages[self.page_columns[0]])
        for name, values in self.pages.items():
            values.append(page_values.get(name))
        for name, values in self.links.items():
            column = links.get(name)
            values.extend(column if column is not None else [None] * count)
        self.page_index.extend([index] * count)
        self.rows += count

    def take(self) -> pa.Table:
        """Return the buffered links as a table and empty the buffer."""
        indices = pa.array(self.page_index, pa.int32())
        arrays = []
        for field in self.schema:
            if field.name in self.pages:
                arrays.append(pa.array(self.pages[field.name], field.type).take(indices))
            else:
                arrays.append(pa.array(self.links[field.name], field.type))
        self._reset()
        return pa.Table.from_arrays(arrays, schema=self.schema)


def unfinished_files(root: str | os.PathLike[str], writer_prefix: str) -> list[Path]:
    """Return the hidden ``.part-*.parquet.tmp`` files under ``root`` left by writers of this
    host whose process is gone (a crawl killed before it could close its file).

    Writer ids are ``<writer_prefix>-<pid>``; files of other hosts, and of processes still
    running here, are never returned. Such a file has no Parquet footer: it cannot be read.
    """
    stale = []
    prefix = f".part-{writer_prefix}-"
    for path in Path(root).rglob(f"{prefix}*.parquet.tmp"):
        pid = path.name[len(prefix):].partition("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            stale.append(path)
    return sorted(stale)


#: Parquet codecs every reader of the dataset (pyarrow, DuckDB, polars, Spark) reads.
CODECS = ("zstd", "snappy", "gzip", "brotli", "lz4", "none")


def parquet_compression(text: str | None) -> tuple[str, int | None]:
    """Return ``(codec, level)`` of ``LINKSPIDER_COMPRESSION`` (``zstd``, ``zstd:9``,
    ``snappy``, ``gzip:6``, ``none``...); raise ``ValueError`` naming what is accepted.

    >>> parquet_compression("zstd:9"), parquet_compression("SNAPPY")
    (('zstd', 9), ('snappy', None))
    """
    codec, _, level = (text or "zstd").strip().lower().partition(":")
    if codec == "uncompressed":
        codec = "none"
    if codec not in CODECS:
        raise ValueError(f"LINKSPIDER_COMPRESSION={text!r}: use one of {', '.join(CODECS)}, "
                         "with a level for zstd, gzip or brotli (e.g. zstd:9)")
    if not level:
        return codec, None
    import pyarrow as pa

    try:
        number = int(level)
        if codec not in ("zstd", "gzip", "brotli"):
            raise ValueError
        low, high = pa.Codec.minimum_compression_level(codec), pa.Codec.maximum_compression_level(codec)
    except ValueError:
        raise ValueError(f"LINKSPIDER_COMPRESSION={text!r}: only zstd, gzip and brotli take a "
                         "level (an integer), e.g. zstd:9") from None
    if not low <= number <= high:
        raise ValueError(f"LINKSPIDER_COMPRESSION={text!r}: {codec} levels go from {low} to {high}")
    return codec, number


class RollingParquetWriter:
    """Write tables into ``directory/part-<writer>-<n>.parquet`` files, each atomically."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        schema: pa.Schema,
        rows_per_file: int = 1_000_000,
        max_file_seconds: float = 60.0,
        compression: str = "zstd",
        writer_id: str | None = None,
        staging: str | os.PathLike[str] | None = None,
        staging_prefix: str = "",
        auto_roll: bool = True,
    ) -> None:
        self.directory = Path(directory)
        self.staging = Path(staging) if staging is not None else None
        self.staging_prefix = staging_prefix
        self.auto_roll = auto_roll
        self.schema = schema
        self.rows_per_file = rows_per_file
        self.max_file_seconds = max_file_seconds
        self.compression, self.compression_level = parquet_compression(compression)
        self.writer_id = writer_id or uuid.uuid4().hex[:8]
        self.files: list[Path] = []
        self.rows_written = 0
        self._writer: pq.ParquetWriter | None = None
        self._tmp_path: Path | None = None
        self._file_rows = 0
        self._opened_at = 0.0

    def write(self, table: pa.Table) -> None:
        """Append ``table`` as a row group; roll the file when it is full or old."""
        if table.num_rows == 0:
            return
        if self._writer is None:
            self._open()
        try:
            self._writer.write_table(table)  # type: ignore[union-attr]
        except OSError as exc:
            raise ParquetExportError(
                f"cannot write {self._tmp_path}: {exc}; is the disk full or read-only?"
            ) from exc
        self._file_rows += table.num_rows
        self.rows_written += table.num_rows
        if self.auto_roll and self.file_due():
            self.roll()

    def file_due(self) -> bool:
        """Return True when the open file should be closed and put in place."""
        if self._writer is None:
            return False
        return (
            self._file_rows >= self.rows_per_file
            or time.monotonic() - self._opened_at >= self.max_file_seconds
        )

    @property
    def file_rows(self) -> int:
        """Return the rows in the open file (0 when none is open)."""
        return self._file_rows if self._writer is not None else 0

    def final_path(self, seq: int | None = None) -> Path:
        """Return the path the open file gets when rolled as part ``seq`` (default: next)."""
        seq = len(self.files) if seq is None else seq
        return self.directory / f"part-{self.writer_id}-{seq:05d}.parquet"

    def has_open_file(self) -> bool:
        """Return True when rows were written since the last roll."""
        return self._writer is not None

    def roll(self, seq: int | None = None) -> Path | None:
        """Close the open file and rename it into place as part ``seq`` (default: the next
        number of this writer); return its final path, or None when no file was open."""
        if self._writer is None or self._tmp_path is None:
            return None
        final = self.final_path(seq)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._writer.close()
            with open(self._tmp_path, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(self._tmp_path, final)
        except OSError as exc:
            raise ParquetExportError(
                f"cannot finish {final}: {exc}; is the disk full or read-only?"
            ) from exc
        self._writer = None
        self._tmp_path = None
        self.files.append(final)
        return final

    close = roll

    def abandon(self) -> None:
        """Drop the open file without putting it in place (after a write failed)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the file is unusable either way
                pass
        if self._tmp_path is not None:
            self._tmp_path.unlink(missing_ok=True)
            self._tmp_path = None

    def _open(self) -> None:
        try:
            if self.staging is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                where, prefix = self.directory, "."
            else:
                self.staging.mkdir(parents=True, exist_ok=True)
                where, prefix = self.staging, self.staging_prefix
            self._tmp_path = where / f"{prefix}part-{self.writer_id}-{len(self.files):05d}.parquet.tmp"
            self._writer = pq.ParquetWriter(
                self._tmp_path, self.schema, compression=self.compression,
                compression_level=self.compression_level,
            )
        except OSError as exc:
            raise ParquetExportError(
                f"cannot create {self.directory}: {exc}; check the --out directory is writable"
            ) from exc
        self._file_rows = 0
        self._opened_at = time.monotonic()
