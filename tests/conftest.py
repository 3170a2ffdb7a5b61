"""Shared fixtures: paths to the vendored public test suites, and the project root."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TESTDATA = PROJECT_ROOT / "tests" / "data"


def vendored_file(*parts: str) -> Path:
    """Return a path inside ``tests/data`` (the vendored public suites); fail clearly when it
    is missing."""
    path = TESTDATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: the public test suites live in tests/data (see its README)")
    return path


#: The files that take longest (their module fixtures crawl whole worlds), slowest first. The
#: suite runs each file on one worker (``--dist loadfile``) in collection order: starting these
#: first keeps every worker busy to the end instead of leaving one long file for last.
SLOW_FILES = (
    "test_resume.py", "test_history_epochs.py", "test_distributed_chaos.py",
    "test_archive_extract.py", "test_htmlreport.py", "test_hostile_crawl.py", "test_docs.py",
    "test_history_monitor.py", "test_distributed_politeness.py", "test_crawl_failures.py",
    "test_analysis_world.py", "test_bench_smoke.py", "test_warc_write.py", "test_archive_formats.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), order[id(item)]))
