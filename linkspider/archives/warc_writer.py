"""``WarcFileWriter``: fetches written as WARC/1.1 records into rotating ``.warc.gz`` files.

Each file starts with a ``warcinfo`` record; each fetch becomes a ``request`` record and a
``response`` record that name each other in ``WARC-Concurrent-To``, or a ``revisit`` record
(profile identical-payload-digest) when a payload with the same SHA-1 was already archived by
this writer. Every record is its own gzip member, and a fetch's two members are written with
one ``write`` and flushed, so a killed crawl leaves whole records and at most one torn member
at the end (``linkspider.archives.repair``). A file being written is
``<prefix>-<seq>.warc.gz.open``; it is renamed to ``<prefix>-<seq>.warc.gz`` when it passes
``max_bytes`` or the writer closes. warcio builds the records and their digests.
Documentation: docs/archives.md.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import logging
import os
import re
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING

from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from linkspider.archives.fetch import Fetch
from linkspider.archives.http_blocks import request_head, response_head

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

logger = logging.getLogger(__name__)

SUFFIX = ".warc.gz"
OPEN_SUFFIX = SUFFIX + ".open"
#: A file being created, until it is locked and renamed to ``.open``.
NEW_SUFFIX = SUFFIX + ".new"
#: zlib level of each gzip member: warcio's own 9 costs about twice the CPU for 2-3% less.
GZIP_LEVEL = 6


def payload_digest(payload: bytes) -> str:
    """Return the WARC digest of ``payload``: ``sha1:`` and its SHA-1 in base32.

    >>> payload_digest(b"")
    'sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ'
    """
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """Return ``moment`` as a WARC/1.1 date (UTC, microseconds).

    >>> warc_date(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc))
    '2026-01-02T03:04:05.000006Z'
    """
    return datetime_to_iso_date(moment.astimezone(timezone.utc).replace(tzinfo=None), use_micros=True)


def gzip_member(data: bytes) -> bytes:
    """Return ``data`` compressed as one whole gzip member."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def file_sequence(directory: Path, prefix: str) -> int:
    """Return the next free sequence number of ``prefix``'s files in ``directory``."""
    pattern = re.compile(re.escape(prefix) + r"-(\d+)" + re.escape(SUFFIX) + r"(\.open|\.new)?$")
    numbers = [int(m.group(1)) for p in directory.glob(f"{prefix}-*")
               if (m := pattern.match(p.name))]  # fmt: skip
    return max(numbers, default=0) + 1


class WarcFileWriter:
    """Writes fetches to ``directory/<prefix>-<seq>.warc.gz`` files (see the module doc)."""

    def __init__(self, directory: Path, prefix: str, max_bytes: int, info: dict[str, str]) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = info
        self.closed_files: list[Path] = []
        self.records = 0
        self.revisits = 0
        self.bytes_written = 0
        self._builder = WARCWriter(io.BytesIO(), gzip=False, warc_version="1.1")
        self._file: IO[bytes] | None = None
        self._path: Path | None = None
        self._size = 0
        self._sequence = 0
        #: payload digest -> (target URI, WARC-Date, record id) of its first response record
        self._originals: dict[str, tuple[str, str, str]] = {}

    def remember(self, paths: list[Path]) -> int:
        """Take the payloads archived in full in ``paths`` (closed files of the same run, an
        earlier attempt's) as originals for revisits; return how many were read."""
        from warcio.archiveiterator import ArchiveIterator

        before = len(self._originals)
        for path in paths:
            with open(path, "rb") as stream:
                for record in ArchiveIterator(stream, no_record_parse=True):
                    if record.rec_type != "response":
                        continue
                    headers = record.rec_headers
                    digest = headers.get_header("WARC-Payload-Digest")
                    if digest and not headers.get_header("WARC-Truncated"):
                        self._originals.setdefault(digest, (
                            headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Date"),
                            headers.get_header("WARC-Record-ID")))  # fmt: skip
        return len(self._originals) - before

    @property
    def current_path(self) -> Path | None:
        """Return the ``.open`` file being written, if any."""
        return self._path

    def write(self, fetch: Fetch) -> None:
        """Append the request and response (or revisit) records of ``fetch``."""
        if self._file is None:
            self._open()
        request, response = self._records(fetch)
        data = self._member(request) + self._member(response)
        assert self._file is not None
        self._file.write(data)
        self._file.flush()
        self._size += len(data)
        self.bytes_written += len(data)
        self.records += 2
        if self._size >= self.max_bytes:
            self._close_current()

    def close(self) -> list[Path]:
        """Close and rename the file being written; return every file this writer closed."""
        self._close_current()
        return self.closed_files

    def _records(self, fetch: Fetch) -> tuple[ArcWarcRecord, ArcWarcRecord]:
        builder = self._builder
        date = warc_date(fetch.fetched_at)
        request_id, response_id = builder._make_warc_id(), builder._make_warc_id()
        digest = payload_digest(fetch.body)
        http = response_head(fetch.protocol, fetch.status, fetch.response_headers, len(fetch.body),
                             head_request=fetch.method == "HEAD")  # fmt: skip
        headers = {"WARC-Record-ID": response_id, "WARC-Date": date,
                   "WARC-Concurrent-To": request_id}  # fmt: skip
        if fetch.ip_address:
            headers["WARC-IP-Address"] = fetch.ip_address
        if fetch.truncated:
            headers["WARC-Truncated"] = fetch.truncated
        original = self._originals.get(digest) if fetch.body and not fetch.truncated else None
        if original is not None:
            uri, original_date, original_id = original
            headers["WARC-Refers-To"] = original_id
            response = builder.create_revisit_record(fetch.url, digest, uri, original_date,
                                                     http_headers=http, warc_headers_dict=headers)  # fmt: skip
            self.revisits += 1
        else:
            headers["WARC-Payload-Digest"] = digest
            response = builder.create_warc_record(
                fetch.url, "response", payload=io.BytesIO(fetch.body), length=len(fetch.body),
                http_headers=http, warc_headers_dict=headers,
            )  # fmt: skip
            if fetch.body and not fetch.truncated:
                self._originals[digest] = (fetch.url, date, response_id)
        request_headers = {"WARC-Record-ID": request_id, "WARC-Date": date,
                           "WARC-Concurrent-To": response_id}  # fmt: skip
        if fetch.ip_address:
            request_headers["WARC-IP-Address"] = fetch.ip_address
        request = builder.create_warc_record(
            fetch.url, "request", payload=io.BytesIO(fetch.request_body),
            length=len(fetch.request_body), warc_headers_dict=request_headers,
            http_headers=request_head(fetch.method, fetch.url, fetch.request_headers,
                                      len(fetch.request_body)),
        )  # fmt: skip
        return request, response

    def _member(self, record: ArcWarcRecord) -> bytes:
        out = io.BytesIO()
        self._builder.out = out
        self._builder.write_record(record)
        return gzip_member(out.getvalue())

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._sequence = max(self._sequence + 1, file_sequence(self.directory, self.prefix))
        name = f"{self.prefix}-{self._sequence:05d}{SUFFIX}"
        self._path = self.directory / (name + ".open")
        # Locked before it is named .open, and held while it is written: a repair (resume,
        # another worker of the run) never takes a live file for one left by a killed crawl.
        creating = self.directory / (name[: -len(SUFFIX)] + NEW_SUFFIX)
        self._file = open(creating, "xb")  # noqa: SIM115 (closed in _close_current)
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(creating, self._path)
        warcinfo = self._builder.create_warcinfo_record(name, self.info)
        data = self._member(warcinfo)
        self._file.write(data)
        self._file.flush()
        self._size = len(data)
        self.bytes_written += len(data)
        self.records += 1

    def _close_current(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        final = self._path.with_name(self._path.name[: -len(".open")])
        os.replace(self._path, final)
        self._file.close()
        self.closed_files.append(final)
        logger.debug("closed %s (%d bytes)", final, self._size)
        self._file = self._path = None
        self._size = 0
