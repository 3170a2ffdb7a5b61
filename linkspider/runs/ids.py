"""Run identifiers: made from the start time, or given by the user and validated.

A run id names the ``run=`` partition of every table, so it must read back as a string in
every Hive-partition reader (DuckDB, pyarrow, pandas, polars, Spark): those readers turn
``run=7`` into an integer (and ``007`` into 7), and ``run=2026-12-01`` into a date.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timezone

#: Letters, digits, ``.``, ``_`` and ``-``; at most 64 characters; starts with a letter or digit.
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_WORDS = {"true", "false", "null", "none", "nan", "inf", "infinity"}


class InvalidRunId(ValueError):
    """A run id that cannot name a partition safely; the message says why and what to use."""


def new_run_id(now: datetime | None = None) -> str:
    """Return a sortable, unique run id such as ``20261125T203710Z-3fa9``."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def _reads_as_other_type(text: str) -> bool:
    """Return True when a partition reader could take ``text`` for a number, date or word."""
    if text.lower() in _WORDS:
        return True
    for parse in (float, lambda t: int(t, 0), date.fromisoformat, datetime.fromisoformat):
        try:
            parse(text)
        except ValueError:
            continue
        return True
    return False


def validate_run_id(run_id: str) -> str:
    """Return ``run_id`` when it is a safe partition value; raise ``InvalidRunId`` otherwise.

    >>> validate_run_id("nightly-2026-12-01")
    'nightly-2026-12-01'
    >>> validate_run_id("007")
    Traceback (most recent call last):
    ...
    linkspider.runs.ids.InvalidRunId: run id '007' would be read as a number or date by Parquet readers; include a letter that makes it a name, e.g. 'run-007'
    """
    if not RUN_ID_PATTERN.fullmatch(run_id):
        raise InvalidRunId(
            f"run id {run_id!r} is not allowed: use 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. nightly-2026-12-01)"
        )
    if not any(c.isalpha() for c in run_id) or _reads_as_other_type(run_id):
        raise InvalidRunId(
            f"run id {run_id!r} would be read as a number or date by Parquet readers; include "
            f"a letter that makes it a name, e.g. 'run-{run_id}'"
        )
    return run_id
