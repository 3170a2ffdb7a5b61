"""Read web archives (WARC 0.17 to 1.1, ARC; gzip, zstd or plain) as HTTP responses.

WARC files are read with FastWARC (its C++ reader is several times faster than warcio's);
ARC files, which FastWARC does not read, and WARC versions it refuses, with warcio. Either
way a ``response`` or ``revisit`` record with an HTTP block becomes one ``ArchivedResponse``:
status, headers, and the payload with its transfer encoding (chunked) and content encoding
(gzip, deflate, brotli) decoded, bounded by ``max_body_bytes`` as the crawl's
``DOWNLOAD_MAXSIZE`` bounds a fetch (compression bombs too). Everything else (``warcinfo``,
``request``, ``metadata``, ``resource``, DNS records) is counted in ``ReadCounts`` and skipped.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

#: Bytes read at a time from a record's payload.
CHUNK = 1 << 16


class ArchiveError(Exception):
    """A file is not an archive, or is damaged; the message says which and where."""


@dataclass
class ArchivedResponse:
    """One HTTP response kept in an archive record."""

    url: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    date: datetime | None
    filename: str
    offset: int
    record_type: str = "response"  #: response, or revisit
    ip_address: str | None = None
    payload_digest: str | None = None
    #: the URI and date a revisit record refers to (its original capture)
    refers_to: tuple[str | None, str | None] | None = None
    #: why the payload is not usable (too large, undecodable encoding); the body is then empty
    problem: str | None = None
    problem_reason: str | None = None

    def header(self, name: bytes) -> bytes | None:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None


@dataclass
class ReadCounts:
    """What reading the archives met, by kind."""

    records: int = 0
    responses: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def clean_target_uri(value: str | None) -> str | None:
    """Return a WARC-Target-URI without the ``<...>`` wget (and WARC 1.0's grammar) puts
    around it.

    >>> clean_target_uri("<http://a.example/>")
    'http://a.example/'
    """
    if value is None:
        return None
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value


def parse_warc_date(value: str | None) -> datetime | None:
    """Return a WARC-Date (``2026-12-07T09:20:00Z``, fractions allowed) or an ARC date
    (``20261207092000``) as an aware UTC datetime; None when it does not parse."""
    if not value:
        return None
    value = value.strip()
    try:
        if value.isdigit() and len(value) >= 14:
            return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


# --- payload decoding --------------------------------------------------------------------------


class PayloadTooLarge(Exception):
    pass


def dechunk(data: bytes) -> bytes:
    """Return the body of a chunked transfer encoding; what follows a broken chunk is kept as
    it is (archives hold real servers' mistakes)."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n", pos)
        if end < 0:
            return bytes(out) if out else data
        size_text = data[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return bytes(out) + data[pos:] if out else data
        if size == 0:
            break
        out += data[end + 2:end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(out)


def decode_content(data: bytes, encoding: bytes, max_bytes: int) -> bytes:
    """Return ``data`` decoded from its Content-Encoding (gzip, x-gzip, deflate, br; several
    in order); raise ``PayloadTooLarge`` past ``max_bytes``, ``ValueError`` when undecodable."""
    for coding in reversed([c.strip().lower() for c in encoding.split(b",") if c.strip()]):
        if coding in (b"identity",):
            continue
        if coding in (b"gzip", b"x-gzip"):
            data = _inflate(data, zlib.MAX_WBITS | 16, max_bytes)
        elif coding == b"deflate":
            try:
                data = _inflate(data, zlib.MAX_WBITS, max_bytes)
            except zlib.error:  # raw deflate, as some servers send
                data = _inflate(data, -zlib.MAX_WBITS, max_bytes)
        elif coding == b"br":
            data = _unbrotli(data, max_bytes)
        else:
            raise ValueError(f"unknown content encoding {coding.decode('latin-1')!r}")
    return data


def _inflate(data: bytes, wbits: int, max_bytes: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    out = decompressor.decompress(data, max_bytes + 1)
    if len(out) > max_bytes:
        raise PayloadTooLarge
    return out


def _unbrotli(data: bytes, max_bytes: int) -> bytes:
    import brotli

    decompressor = brotli.Decompressor()
    out = bytearray()
    for start in range(0, len(data), CHUNK):
        out += decompressor.process(data[start:start + CHUNK])
        if len(out) > max_bytes:
            raise PayloadTooLarge
    return bytes(out)


def decode_payload(raw: bytes, headers: list[tuple[bytes, bytes]], max_bytes: int
                   ) -> tuple[bytes, str | None, str | None]:
    """Return ``(body, problem, reason)``: the payload with transfer and content encodings
    undone, or an empty body and what went wrong."""
    lookup = {k.lower(): v for k, v in headers}
    if b"chunked" in lookup.get(b"transfer-encoding", b"").lower():
        raw = dechunk(raw)
    encoding = lookup.get(b"content-encoding")
    if encoding:
        try:
            raw = decode_content(raw, encoding, max_bytes)
        except PayloadTooLarge:
            return b"", (f"the payload decodes to more than DOWNLOAD_MAXSIZE={max_bytes:,} bytes "
                         "(a compression bomb, or raise the setting)"), "body_too_large"
        except Exception as exc:  # zlib.error, ValueError, and brotli's error (not exported)
            name = encoding.decode("latin-1")
            return b"", f"cannot decode the payload's Content-Encoding {name!r}: {exc}", None
    return raw, None, None


# --- readers -----------------------------------------------------------------------------------


def archive_kind(path: Path) -> str:
    """Return ``warc``, ``arc`` or ``unknown`` by the file's first bytes (decompressed)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        handle.seek(0)
        try:
            if head[:2] == b"\x1f\x8b":
                head = gzip.GzipFile(fileobj=handle).read(16)
            elif head[:4] == b"\x28\xb5\x2f\xfd":  # zstd, as FastWARC reads and writes it
                from fastwarc.stream_io import ZstdReader

                head = ZstdReader(handle, fsspec_args=False).read(16)
            else:
                head = handle.read(16)
        except (OSError, EOFError, ValueError):
            return "unknown"
    if head.startswith(b"WARC/"):
        return "warc"
    if head.startswith(b"filedesc://"):
        return "arc"
    return "unknown"


def read_archive(path: Path, max_body_bytes: int, counts: ReadCounts, start_offset: int = 0
                 ) -> Iterator[ArchivedResponse]:
    """Yield the HTTP responses of one archive file, from the record at ``start_offset``
    (an offset a reader gave: a gzip member's or an uncompressed record's start); raise
    ``ArchiveError`` when the file is not an archive or breaks off (the responses before the
    break have been yielded)."""
    kind = archive_kind(path)
    if kind == "unknown":
        if path.stat().st_size == 0:
            raise ArchiveError(f"{path}: empty file")
        raise ArchiveError(f"{path}: not a WARC or ARC file (no WARC/ or filedesc:// header at "
                           "its start, after gzip or zstd)")
    if kind == "arc" or _warc_version(path) in (b"0.17", b"0.18"):
        yield from _read_with_warcio(path, max_body_bytes, counts, start_offset)
    else:
        yield from _read_with_fastwarc(path, max_body_bytes, counts, start_offset)


def member_start_after(path: Path, offset: int) -> int | None:
    """Return the offset of the first gzip member at or after ``offset`` that holds the start
    of a WARC or ARC record (a ``.warc.gz`` read in byte ranges), or None when there is none.
    A byte pattern inside compressed data can look like a gzip header: a candidate counts
    only when it decompresses to a record's first bytes."""
    with open(path, "rb") as handle:
        position = offset
        handle.seek(position)
        window = handle.read(1 << 20)
        while window:
            found = window.find(b"\x1f\x8b\x08")
            while found >= 0:
                candidate = position + found
                handle.seek(candidate)
                try:
                    head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(handle.read(CHUNK), 16)
                except zlib.error:
                    head = b""
                if head.startswith((b"WARC/", b"filedesc://")) or (head[:7] in (b"http://", b"https:/")):
                    return candidate
                found = window.find(b"\x1f\x8b\x08", found + 1)
            position += max(1, len(window) - 2)
            handle.seek(position)
            window = handle.read(1 << 20)
    return None


def _warc_version(path: Path) -> bytes:
    with open(path, "rb") as handle:
        head = handle.read(2)
        handle.seek(0)
        stream = gzip.GzipFile(fileobj=handle) if head == b"\x1f\x8b" else handle
        try:
            line = stream.readline(32)
        except (OSError, EOFError):
            return b""
    return line.strip()[5:]


def _read_with_fastwarc(path: Path, max_body_bytes: int, counts: ReadCounts,
                        start_offset: int) -> Iterator[ArchivedResponse]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    wanted = WarcRecordType.response | WarcRecordType.revisit
    name = str(path)
    last = None
    try:
        with open(path, "rb") as handle:
            handle.seek(start_offset)
            for record in ArchiveIterator(handle, parse_http=False, fsspec_args=False):
                counts.records += 1
                last = record.stream_pos  # FastWARC: from the file's start (it tells the handle)
                record_type = record.record_type
                if not record_type & wanted:
                    counts.skipped[_type_name(record_type)] += 1
                    continue
                offset = record.stream_pos
                headers = record.headers
                response = _http_response(
                    record.reader, record.content_length, name, offset,
                    clean_target_uri(headers.get("WARC-Target-URI")),
                    headers.get("WARC-Date"), headers.get("WARC-IP-Address"),
                    "revisit" if record_type == WarcRecordType.revisit else "response",
                    headers.get("WARC-Payload-Digest"),
                    (clean_target_uri(headers.get("WARC-Refers-To-Target-URI")),
                     headers.get("WARC-Refers-To-Date")), max_body_bytes,
                )  # fmt: skip
                if response is None:
                    counts.skipped["not_http"] += 1
                    continue
                counts.responses += 1
                yield response
    except OSError as exc:
        raise ArchiveError(f"{path}: damaged archive after {counts.records:,} records ({exc}); "
                           "the records before the damage were read") from None
    problem = _tail_problem(path, start_offset if last is None else last, last is None)
    if problem:
        raise ArchiveError(f"{path}: damaged archive after {counts.records:,} records ({problem}); "
                           "the records before the damage were read")


def _tail_problem(path: Path, offset: int, no_record: bool) -> str | None:
    """Return what is wrong after the last record a reader found at ``offset`` (a reader
    may stop quietly at a truncated gzip member or record), or None when the file ends
    there cleanly."""
    with open(path, "rb") as handle:
        if handle.read(4) == b"\x28\xb5\x2f\xfd":  # zstd: offsets are not seekable; FastWARC
            return "no record could be read" if no_record else None  # raises on a broken frame
        handle.seek(offset)
        compressed = handle.read(2) == b"\x1f\x8b"
        handle.seek(offset)
        if no_record:
            return "no record could be read"
        if compressed:
            decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
            while not decompressor.eof:
                data = handle.read(CHUNK)
                if not data:
                    return "the last gzip member breaks off: the file is truncated"
                decompressor.decompress(data, CHUNK)  # the output is not needed: its end is
                while decompressor.unconsumed_tail and not decompressor.eof:
                    decompressor.decompress(decompressor.unconsumed_tail, CHUNK)
            rest = decompressor.unused_data + handle.read(CHUNK)
        else:
            head = handle.read(1 << 20)
            end = head.find(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head[:end].split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)  # fmt: skip
            if end < 0 or length is None:
                return "the last record's header is incomplete"
            if offset + end + 4 + length > path.stat().st_size:
                return "the last record breaks off: the file is truncated"
            handle.seek(offset + end + 4 + length)
            rest = handle.read(CHUNK)
    if rest.strip(b"\r\n\x00"):
        return "bytes after the last readable record are not a WARC record"
    return None


def _type_name(record_type: object) -> str:
    return str(getattr(record_type, "name", record_type)).rsplit(".", 1)[-1]


def _http_response(reader: object, length: int | None, filename: str, offset: int, url: str | None,
                   date: str | None, ip: str | None, record_type: str, payload_digest: str | None,
                   refers_to: tuple, max_body_bytes: int) -> ArchivedResponse | None:
    """Parse the HTTP status line, headers and payload of a record's block."""
    block = io.BufferedReader(_ReaderAdapter(reader), CHUNK)  # type: ignore[arg-type]
    status_line = block.readline(65536)
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].upper().startswith(b"HTTP/") or not parts[1].isdigit():
        return None
    headers: list[tuple[bytes, bytes]] = []
    total = 0
    while True:
        line = block.readline(65536)
        total += len(line)
        if not line or line in (b"\r\n", b"\n") or total > 1 << 20:
            break
        if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
            key, value = headers[-1]
            headers[-1] = (key, value + b" " + line.strip())
            continue
        key, sep, value = line.partition(b":")
        if sep:
            headers.append((key.strip(), value.strip()))
    raw = block.read(max_body_bytes + 1)
    problem = reason = None
    if len(raw) > max_body_bytes:
        raw, problem, reason = b"", (f"the payload is over DOWNLOAD_MAXSIZE={max_body_bytes:,} "
                                     "bytes: not parsed (raise the setting to read it)"), "body_too_large"
    else:
        raw, problem, reason = decode_payload(raw, headers, max_body_bytes)
    return ArchivedResponse(
        url=url or "", status=int(parts[1]), headers=headers, body=raw,
        date=parse_warc_date(date), filename=filename, offset=offset, record_type=record_type,
        ip_address=ip, payload_digest=payload_digest,
        refers_to=refers_to if record_type == "revisit" else None, problem=problem,
        problem_reason=reason,
    )  # fmt: skip


class _ReaderAdapter(io.RawIOBase):
    """A raw stream over a FastWARC or warcio payload reader (their ``read(n)``)."""

    def __init__(self, reader: object) -> None:
        self._reader = reader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._reader.read(len(buffer))  # type: ignore[attr-defined]
        buffer[: len(data)] = data
        return len(data)


def _read_with_warcio(path: Path, max_body_bytes: int, counts: ReadCounts,
                      start_offset: int) -> Iterator[ArchivedResponse]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    name = str(path)
    try:
        with open(path, "rb") as handle:
            handle.seek(start_offset)
            records = ArchiveIterator(handle, arc2warc=True, no_record_parse=True)
            for record in records:
                counts.records += 1
                record_type = record.rec_type
                if record_type not in ("response", "revisit"):
                    counts.skipped[record_type or "unknown"] += 1
                    continue
                h = record.rec_headers
                response = _http_response(
                    record.raw_stream, None, name, 0,
                    clean_target_uri(h.get_header("WARC-Target-URI")), h.get_header("WARC-Date"),
                    h.get_header("WARC-IP-Address"), record_type, h.get_header("WARC-Payload-Digest"),
                    (clean_target_uri(h.get_header("WARC-Refers-To-Target-URI")),
                     h.get_header("WARC-Refers-To-Date")), max_body_bytes,
                )  # fmt: skip
                if response is None:
                    counts.skipped["not_http"] += 1
                    continue
                # warcio finds the record's offset by reading to its end: after the payload
                response.offset = records.get_record_offset() + start_offset
                counts.responses += 1
                yield response
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"{path}: damaged archive after {counts.records:,} records ({exc}); "
                           "the records before the damage were read") from None
