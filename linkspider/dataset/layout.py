"""Where the dataset's files live: one place for the layout that writers and readers share.

```
<root>/links/crawl_date=YYYY-MM-DD/run=<run id>/part-<writer>-<seq>.parquet
<root>/pages/crawl_date=YYYY-MM-DD/run=<run id>/part-<writer>-<seq>.parquet
<root>/runs/run=<run id>/run.parquet              one row: the run record (linkspider.runs)
<root>/_staging/run=<run id>/...                  files being written; never read as data
<root>/warc/run=<run id>/linkspider-<run id>[-<writer>]-<seq>.warc.gz   crawl --warc (WARC/1.1)
```

Files are written in ``_staging`` (outside every table, so no reader's glob or directory scan
finds them) and renamed into their table when complete.
"""

from __future__ import annotations

import os
from pathlib import Path

CRAWL_TABLES = ("links", "pages")
STAGING = "_staging"


def run_directory(root: str | os.PathLike[str], table: str, run_id: str, crawl_date: str) -> Path:
    """Return the partition directory of one table of one run."""
    return Path(root) / table / f"crawl_date={crawl_date}" / f"run={run_id}"


def staging_directory(root: str | os.PathLike[str], run_id: str) -> Path:
    """Return the directory where a run's unfinished files are written."""
    return Path(root) / STAGING / f"run={run_id}"


def run_record_path(root: str | os.PathLike[str], run_id: str) -> Path:
    """Return the path of a run's record."""
    return Path(root) / "runs" / f"run={run_id}" / "run.parquet"


def warc_directory(root: str | os.PathLike[str], run_id: str) -> Path:
    """Return the directory of a run's WARC files (``linkspider crawl --warc``)."""
    return Path(root) / "warc" / f"run={run_id}"


def part_name(writer_id: str, seq: int) -> str:
    """Return the file name of part ``seq`` of a writer (the same in every table)."""
    return f"part-{writer_id}-{seq:05d}.parquet"


def table_glob(root: str | os.PathLike[str], table: str) -> str:
    """Return the glob matching every Parquet file of a crawl ``table`` under ``root``."""
    return str(Path(root) / table / "*" / "*" / "*.parquet")


def run_files(root: str | os.PathLike[str], table: str, run_id: str) -> list[Path]:
    """Return the Parquet files of one run in one crawl table, in name order."""
    return sorted((Path(root) / table).glob(f"*/run={run_id}/*.parquet"))


def process_alive(pid: int) -> bool:
    """Return True when process ``pid`` runs on this host (or cannot be told apart from one)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class OutputNotWritable(OSError):
    """The dataset root cannot be written; the message names the path and what to do."""


def ensure_writable(root: str | os.PathLike[str], run_id: str) -> Path:
    """Create the run's staging directory under ``root`` and prove a file can be written and
    synced there; return the directory, or raise ``OutputNotWritable``."""
    staging = staging_directory(root, run_id)
    probe = staging / f".probe-{os.getpid()}"
    try:
        staging.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"linkspider")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as exc:
        raise OutputNotWritable(
            f"cannot write the dataset to {Path(root).absolute()}: {exc.strerror or exc}; "
            "choose a writable --out directory (check that it can be created, its permissions "
            "and free space)"
        ) from exc
    return staging
