"""Where the dataset's files live: one place for the layout that writers and readers share.

```
<root>/links/crawl_date=YYYY-MM-DD/run=<run id>/part-<writer>-<seq>.parquet
<root>/pages/crawl_date=YYYY-MM-DD/run=<run id>/part-<writer>-<seq>.parquet
<root>/runs/run=<run id>/run.parquet              one row: the run record (linkspider.runs)
<root>/_staging/run=<run id>/...                  files being written; never read as data
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


def part_name(writer_id: str, seq: int) -> str:
    """Return the file name of part ``seq`` of a writer (the same in every table)."""
    return f"part-{writer_id}-{seq:05d}.parquet"


def table_glob(root: str | os.PathLike[str], table: str) -> str:
    """Return the glob matching every Parquet file of a crawl ``table`` under ``root``."""
    return str(Path(root) / table / "*" / "*" / "*.parquet")


def run_files(root: str | os.PathLike[str], table: str, run_id: str) -> list[Path]:
    """Return the Parquet files of one run in one crawl table, in name order."""
    return sorted((Path(root) / table).glob(f"*/run={run_id}/*.parquet"))
