"""Exit codes of ``linkspider crawl``, distinct so a scheduler can act on each (docs/runs.md, Exit
codes), and how a finished run's outcome maps to one."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a crawl's exit code says."""

    COMPLETE = 0  #: the crawl ran to its end and fetched pages
    ENDED_EARLY = 1  #: stopped before its end: a signal (Ctrl-C, SIGTERM) or a close-spider limit
    USAGE = 2  #: wrong options or arguments (including --resume of an unknown or complete run)
    OUTPUT_NOT_WRITABLE = 3  #: the output directory cannot be written; checked before any request
    NOTHING_FETCHED = 4  #: no page answered 2xx: every seed was refused, unreachable or failed
    OUTPUT_FAILED = 5  #: writing failed mid-crawl (disk full, permissions); stopped cleanly
    #: linkspider extract: some archive files were not archives or broke off; what could be
    #: read is in the dataset
    ARCHIVE_DAMAGED = 6


#: The finish reason the export pipeline closes the spider with when writing fails.
OUTPUT_FAILED_REASON = "output_failed"


def outcome(finish_reason: str | None, pages_ok: int, output_error: str | None) -> tuple[str, ExitCode]:
    """Return the ``(status, exit code)`` of a run that ended with ``finish_reason``.

    >>> outcome("finished", 10, None)
    ('complete', <ExitCode.COMPLETE: 0>)
    >>> outcome("shutdown", 10, None)
    ('partial', <ExitCode.ENDED_EARLY: 1>)
    >>> outcome("finished", 0, None)
    ('failed', <ExitCode.NOTHING_FETCHED: 4>)
    """
    if output_error is not None or finish_reason == OUTPUT_FAILED_REASON:
        return "failed", ExitCode.OUTPUT_FAILED
    if finish_reason != "finished":
        return "partial", ExitCode.ENDED_EARLY
    if pages_ok == 0:
        return "failed", ExitCode.NOTHING_FETCHED
    return "complete", ExitCode.COMPLETE
