"""Shared fixtures: paths to the vendored public test suites, and the project root."""

from __future__ import annotations

import os
import resource
import time
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


#: The files that take longest (their module fixtures crawl whole worlds), slowest first, by
#: their wall seconds in a whole run (``python -m bench.suite_cpu``). The suite runs each file
#: on one worker (``--dist loadfile``) in collection order (``--no-loadscope-reorder``, or
#: xdist orders files by their number of tests): starting these first keeps every worker busy
#: to the end instead of leaving one long file for last.
SLOW_FILES = (
    "test_history_epochs.py", "test_hostile_crawl.py", "test_htmlreport.py", "test_distributed_crawl.py",
    "test_distributed_chaos.py", "test_resume.py", "test_targets_check.py", "test_distributed_politeness.py",
    "test_archive_extract.py", "test_archive_formats.py", "test_scrapyd.py", "test_bench_smoke.py",
    "test_render.py", "test_crawl_failures.py", "test_history_monitor.py", "test_history_fold.py",
    "test_warc_write.py", "test_exit_codes.py", "test_docs.py", "test_control_servers.py",
    "test_analysis_world.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), order[id(item)]))


def _cpu_seconds() -> float:
    """CPU of this process, of its reaped children and of the fork server's children."""
    from tests import forkserver

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime + forkserver.forked_cpu


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):  # noqa: ANN201
    """With ``LINKSPIDER_TEST_CPU_LOG=FILE``, append each test's CPU seconds (setup, call and
    teardown, with the processes it started), its wall seconds, worker and start time to FILE:
    on a shared machine, CPU is the measure
    of a test's cost that other load does not change much (``bench/suite_cpu.py`` sums it)."""
    log = os.environ.get("LINKSPIDER_TEST_CPU_LOG")
    if not log:
        yield
        return
    start, wall = _cpu_seconds(), time.monotonic()
    yield
    with open(log, "a", encoding="utf-8") as handle:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "-")
        handle.write(f"{_cpu_seconds() - start:.3f}\t{time.monotonic() - wall:.3f}\t{item.nodeid}"
                     f"\t{worker}\t{time.time() - (time.monotonic() - wall):.3f}\n")  # fmt: skip
