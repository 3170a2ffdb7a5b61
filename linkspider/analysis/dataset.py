"""Where the analysis tables live in the dataset, and which runs have them.

```
<root>/analysis/run=<run id>/<table>.parquet      one file per table per run
```

Each file is written under a temporary name in the same directory and renamed into place, so
a reader sees a table whole or not at all (``write_table``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ANALYSIS = "analysis"


def analysis_directory(root: str | os.PathLike[str], run_id: str) -> Path:
    """Return the directory of one run's analysis tables."""
    return Path(root) / ANALYSIS / f"run={run_id}"


def analysis_path(root: str | os.PathLike[str], run_id: str, table: str) -> Path:
    """Return the path of analysis ``table`` of run ``run_id``.

    >>> analysis_path("out", "r1", "domain_rank").as_posix()
    'out/analysis/run=r1/domain_rank.parquet'
    """
    return analysis_directory(root, run_id) / f"{table}.parquet"


def analyzed_runs(root: str | os.PathLike[str]) -> list[str]:
    """Return the run ids that have analysis tables, oldest directory first."""
    base = Path(root) / ANALYSIS
    if not base.is_dir():
        return []
    found = [p for p in base.glob("run=*") if p.is_dir() and any(p.glob("*.parquet"))]
    found.sort(key=lambda p: (p.stat().st_mtime, p.name))
    return [p.name[len("run="):] for p in found]


def latest_analyzed_run(root: str | os.PathLike[str]) -> str | None:
    """Return the id of the run analyzed last (by its directory's time), or None."""
    runs = analyzed_runs(root)
    return runs[-1] if runs else None


#: Rows cast to the table's schema and written at once (``write_table``).
WRITE_BATCH_ROWS = 262_144


def write_table(table: pa.Table, path: Path, schema: pa.Schema | None = None) -> Path:
    """Write ``table`` to ``path`` atomically (temporary name, fsync, rename); return ``path``.
    With ``schema``, its columns in that order and cast to it, ``WRITE_BATCH_ROWS`` at a time
    (a cast of the whole table would hold a second copy of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if schema is None:
            pq.write_table(table, temporary, compression="zstd")
        else:
            with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
                for batch in table.select(schema.names).to_batches(WRITE_BATCH_ROWS):
                    writer.write_batch(batch.cast(schema))
                if table.num_rows == 0:
                    writer.write_table(schema.empty_table())
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
