"""Helpers for tests that crawl: run ``linkspider crawl`` in a subprocess, read the dataset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from tests.conftest import PROJECT_ROOT

CRAWL_TIMEOUT = 180


def crawl_command(*args: str) -> list[str]:
    """Return the command line of ``linkspider crawl`` with ``args``."""
    return [sys.executable, "-m", "linkspider", "crawl", *args]


def run_crawl(*args: str, timeout: float = CRAWL_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run ``linkspider crawl`` with ``args`` to completion; fail the test on a timeout."""
    return subprocess.run(
        crawl_command(*args),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        check=False,
    )


def local_web_args(proxy_url: str, out: Path, *extra: str) -> list[str]:
    """Return the usual options of a test crawl through the local web."""
    return [
        "--proxy", proxy_url, "--allow-private-addresses", "--out", str(out),
        "--no-throttle", "--concurrency", "8", "--log-level", "WARNING", *extra,
    ]  # fmt: skip


def read_table(out: Path, table: str) -> pa.Table:
    """Return every row of ``table`` in the dataset at ``out``."""
    return ds.dataset(out / table, format="parquet", partitioning="hive").to_table()
