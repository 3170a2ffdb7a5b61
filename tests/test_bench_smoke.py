"""The one-core benchmarks still run: ``bench.pipeline`` and ``bench.ab`` on a few small pages.

They check that the harness runs and prints its figures, never how fast: timing is the
benchmarks' business (``docs/benchmarks.md``), not the suite's. The pages are Scrapy's
LinkExtractor samples (``tests/data``), so the suite needs no python3.11-doc.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, vendored_file

PAGES = vendored_file("scrapy-linkextractor")


def run_bench(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def test_pipeline_reads_every_page_and_reports_cpu_per_page(tmp_path) -> None:
    done = run_bench("bench.pipeline", "--target", "docs", "--docs-root", str(PAGES),
                     "--out", str(tmp_path / "out"), "--passes", "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["code"] == str(PROJECT_ROOT)
    assert [p["pages"] for p in result["passes"]] == [4, 4]
    assert all(p["links"] > 0 and p["cpu_us_per_page"] > 0 for p in result["passes"])
    assert list((tmp_path / "out").rglob("*.parquet"))


def test_pipeline_parses_big_pages_on_its_own_thread(tmp_path) -> None:
    # a page over LINKSPIDER_PARSE_THREAD_BYTES would go to a worker thread in a crawl
    done = run_bench("bench.pipeline", "--target", "docs", "--docs-root", str(PAGES),
                     "--out", str(tmp_path / "out"), "--passes", "1",
                     "--setting", "LINKSPIDER_PARSE_THREAD_BYTES=100")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passes"][0]["pages"] == 4


def test_pipeline_without_pages_says_so_in_one_line(tmp_path) -> None:
    done = run_bench("bench.pipeline", "--target", "docs", "--docs-root", str(tmp_path / "none"),
                     "--out", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("bench.pipeline: no pages at") and "Traceback" not in done.stderr


def test_ab_against_head_prints_the_ratio() -> None:
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT,
                      capture_output=True).returncode != 0:  # fmt: skip
        pytest.skip("not a git checkout: bench.ab needs a revision to check out")
    done = run_bench("bench.ab", "--base", "HEAD", "--docs-root", str(PAGES), "--pages", "3",
                     "--rounds", "2", "--passes", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "docs: 3 pages" in done.stdout
    assert re.search(r"per-page CPU ratio working/base: \d+\.\d{3} \(rounds: min", done.stdout)


def test_ab_with_an_unknown_revision_says_so_in_one_line() -> None:
    done = run_bench("bench.ab", "--base", "no-such-revision-here", "--docs-root", str(PAGES))
    assert done.returncode == 2
    assert done.stderr.startswith("bench.ab: cannot check out 'no-such-revision-here'")
    assert "Traceback" not in done.stderr
