"""Closing what a killed crawl left: ``.warc.gz.open`` files cut back to their whole records.

A writer holds an exclusive ``flock`` on the file it writes, so a file whose lock can be taken
was left by a process that is gone. Its gzip members are read in order; the file is truncated
after the last whole member that holds a WARC record, and also before a trailing ``request``
record whose ``response`` never made it (a fetch is kept whole or not at all), then renamed to
``.warc.gz`` (or removed when nothing whole is left). Documentation: docs/archives.md.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from linkspider.archives.warc_writer import OPEN_SUFFIX

logger = logging.getLogger(__name__)

#: Bytes of a member's decompressed start kept to read its WARC-Type.
_HEAD_BYTES = 2048
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One whole gzip member of a file: where it ends and the WARC record type it holds."""

    start: int
    end: int
    record_type: str


def _record_type(head: bytes) -> str | None:
    if not head.startswith(b"WARC/"):
        return None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"warc-type":
            return value.strip().decode("ascii", "replace")
        if not line:
            break
    return "" if b"\r\n\r\n" in head else None


def whole_members(path: Path) -> list[Member]:
    """Return the whole gzip members at the start of ``path`` that each hold a WARC record,
    up to the first torn, corrupt or foreign one."""
    members: list[Member] = []
    with open(path, "rb") as file:
        start = position = 0
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        head = b""
        while chunk := file.read(_CHUNK):
            data = chunk
            while data:
                try:
                    out = decompressor.decompress(data)
                except zlib.error:
                    return members
                if len(head) < _HEAD_BYTES:
                    head += out[: _HEAD_BYTES - len(head)]
                if not decompressor.eof:
                    position += len(data)
                    break
                unused = decompressor.unused_data
                end = position + len(data) - len(unused)
                record_type = _record_type(head)
                if record_type is None:
                    return members
                members.append(Member(start, end, record_type))
                start = position = end
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
                head = b""
                data = unused
    return members


def complete_length(members: list[Member]) -> int:
    """Return the byte length that keeps whole records and whole fetches: a trailing
    ``request`` whose response is missing is cut too."""
    kept = list(members)
    while kept and kept[-1].record_type == "request":
        kept.pop()
    return kept[-1].end if kept else 0


def repair_open_file(path: Path) -> Path | None:
    """Cut a left ``.open`` file back to its whole records and rename it; return the closed
    file, or None when the file is in use (its lock held) or nothing whole was left in it."""
    try:
        file = open(path, "r+b")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        return None  # closed by its writer meanwhile
    with file:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # a live writer's file
        if not _same_file(path, file.fileno()):
            return None  # its writer renamed it (closed it) before the lock was ours
        size = os.fstat(file.fileno()).st_size
        length = complete_length(whole_members(path))
        file.truncate(length)
        file.flush()
        os.fsync(file.fileno())
        closed = path.with_name(path.name[: -len(".open")])
        if length == 0:
            path.unlink()
            logger.warning("removed %s: no whole record in it (%d bytes)", path, size)
            return None
        os.replace(path, closed)
    logger.warning("closed %s left by a killed crawl: kept %d of %d bytes", closed, length, size)
    return closed


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def repair_open_files(directory: Path) -> list[Path]:
    """Repair every ``.open`` file in ``directory`` no live writer holds; return those closed.

    A ``.new`` file (a kill between creating a file and naming it ``.open``) is empty and
    left alone: another worker's file is ``.new`` for that moment too, unlocked.
    """
    if not directory.is_dir():
        return []
    closed = []
    for path in sorted(directory.glob(f"*{OPEN_SUFFIX}")):
        repaired = repair_open_file(path)
        if repaired is not None:
            closed.append(repaired)
    return closed
