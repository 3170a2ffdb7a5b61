"""Check that two ``linkspider analyze`` outputs hold the same tables: every ``*.parquet`` of
two analysis directories (``DIR/analysis/run=ID`` of a dataset, or copies of it), rows sorted
(non-float columns first), floats equal within ``--rtol`` relative (1e-9), the rest exactly,
schemas and their metadata equal.

    .venv/bin/python -m bench.analysis_same BEFORE_DIR AFTER_DIR [--rtol 1e-9]

Exits 0 when every table matches, 1 (naming the tables and columns) when one does not.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401 (pa.compute)
import pyarrow.parquet as pq


def _is_float(kind: pa.DataType) -> bool:
    return pa.types.is_floating(kind)


def _has_float(kind: pa.DataType) -> bool:
    """Whether a (nested) type holds floats somewhere."""
    if _is_float(kind):
        return True
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _has_float(kind.value_type)
    if pa.types.is_struct(kind):
        return any(_has_float(kind.field(i).type) for i in range(kind.num_fields))
    return False


def sorted_table(path: Path) -> pa.Table:
    """Return the table at ``path``, rows ordered by its columns, float-free ones first."""
    schema = pq.read_schema(path)
    keys = [f for f in schema if not _has_float(f.type)] + [f for f in schema if _has_float(f.type)]
    order = ", ".join(f'"{f.name}" NULLS FIRST' for f in keys)
    con = duckdb.connect()
    table = con.sql(f"SELECT * FROM read_parquet('{path}') ORDER BY {order}").to_arrow_table()
    con.close()
    return table


def _close(a: object, b: object, rtol: float) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rtol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rtol) for x, y in zip(a, b))
    return a == b


def column_differences(before: pa.ChunkedArray, after: pa.ChunkedArray, rtol: float) -> int:
    """Return how many rows of two same-length columns differ (floats within ``rtol``)."""
    if _is_float(before.type) and _is_float(after.type):
        a = before.to_numpy(zero_copy_only=False).astype(float)
        b = after.to_numpy(zero_copy_only=False).astype(float)
        na, nb = np.isnan(a), np.isnan(b)
        both = ~na & ~nb
        close = np.zeros(len(a), bool)
        close[both] = np.abs(a[both] - b[both]) <= rtol * np.maximum(np.abs(a[both]), np.abs(b[both]))
        close |= na & nb
        return int((~close).sum())
    if not _has_float(before.type) and not pa.types.is_nested(before.type):
        equal = pa.compute.equal(before, after).fill_null(False)
        same = pa.compute.or_(equal, pa.compute.and_(before.is_null(), after.is_null()))
        return len(before) - int(pa.compute.sum(same).as_py() or 0)
    return sum(not _close(x, y, rtol) for x, y in zip(before.to_pylist(), after.to_pylist()))


def compare(before: Path, after: Path, rtol: float) -> list[str]:
    """Return the differences between the tables of two analysis directories (empty: same)."""
    problems: list[str] = []
    names = sorted({p.name for p in before.glob("*.parquet")} | {p.name for p in after.glob("*.parquet")})
    for name in names:
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            problems.append(f"{name}: only in {'after' if not a.exists() else 'before'}")
            continue
        sa, sb = pq.read_schema(a), pq.read_schema(b)
        if not sa.equals(sb, check_metadata=False):
            problems.append(f"{name}: schemas differ:\n{sa}\n--\n{sb}")
            continue
        meta_a = {k: v for k, v in (sa.metadata or {}).items() if not k.startswith(b"ARROW")}
        meta_b = {k: v for k, v in (sb.metadata or {}).items() if not k.startswith(b"ARROW")}
        if meta_a != meta_b:
            problems.append(f"{name}: schema metadata differs: {meta_a} != {meta_b}")
        ta, tb = sorted_table(a), sorted_table(b)
        if ta.num_rows != tb.num_rows:
            problems.append(f"{name}: {ta.num_rows} rows before, {tb.num_rows} after")
            continue
        for column in ta.column_names:
            bad = column_differences(ta.column(column), tb.column(column), rtol)
            if bad:
                problems.append(f"{name}: column {column}: {bad} of {ta.num_rows} rows differ")
        print(f"{name}: {ta.num_rows:,} rows compared", flush=True)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rtol", type=float, default=1e-9)
    args = parser.parse_args()
    problems = compare(args.before, args.after, args.rtol)
    for problem in problems:
        print(problem)
    print(json.dumps({"same": not problems, "problems": len(problems)}))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
