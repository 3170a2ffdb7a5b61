"""The README and the manual in docs/: short, linked, in step with the schema, and their
commands run as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from linkspider.dataset.schema import DICTIONARY_PAGE, data_dictionary_markdown
from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.conftest import PROJECT_ROOT
from tests.crawling import run_linkspider

README = PROJECT_ROOT / "README.md"
DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md"))


def manual_text() -> str:
    """The README and every docs page, one after the other."""
    return "\n".join(p.read_text(encoding="utf-8") for p in [README, *DOCS])


def test_the_data_dictionary_is_the_schemas_own_description_of_every_column() -> None:
    page = (PROJECT_ROOT / DICTIONARY_PAGE).read_text(encoding="utf-8")
    start = page.index("<!-- data-dictionary:start -->\n") + len("<!-- data-dictionary:start -->\n")
    end = page.index("<!-- data-dictionary:end -->")
    assert page[start:end] == data_dictionary_markdown(), (
        f"{DICTIONARY_PAGE} is out of date: python -m linkspider.dataset.schema --update-docs")


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.read_text(encoding="utf-8").split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.splitlines()] == [
        "bash scripts/demo.sh", "bash scripts/test.sh"]


def test_readme_is_a_page_and_links_every_docs_page() -> None:
    readme = README.read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 300
    linked = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    assert {f"docs/{p.name}" for p in DOCS} <= linked


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_every_relative_link_points_at_a_file(page: Path) -> None:
    for target in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
        if not re.match(r"[a-z]+:", target):
            assert (page.parent / target).exists(), f"{page.name} links {target}, which is missing"


def _tour_blocks() -> list[tuple[str, str]]:
    readme = README.read_text(encoding="utf-8")
    tour = readme.split("## A 5-minute tour", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(sh|python)\n(.*?)```", tour, re.S)


def _commands(block: str) -> list[list[str]]:
    joined = block.replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.split("#")[0].strip()]


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    """Every command of the tour, against the local web it starts, with the same options."""
    blocks = _tour_blocks()
    assert [kind for kind, _ in blocks] == ["sh", "sh", "python", "sh", "sh", "sh"]
    serve = _commands(blocks[0][1])
    assert serve == [[".venv/bin/linkspider", "web", "--port", "8899", "--sites", "24"]]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    with LocalWebProcess(World(WorldConfig(sites=24))) as web:
        for kind, block in blocks[1:]:
            if kind == "python":
                code = block.replace("'output/", f"'{tmp_path}/output/")
                shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       cwd=tmp_path, env=env, timeout=60)  # fmt: skip
                assert shown.returncode == 0, shown.stderr
                assert "target_url" in shown.stdout and "10 rows" in shown.stdout
                continue
            for argv in _commands(block):
                assert argv[0] == ".venv/bin/linkspider"
                argv = [a.replace("http://127.0.0.1:8899", web.proxy_url) for a in argv[1:]]
                done = run_linkspider(*argv, cwd=tmp_path, timeout=180)
                assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    out = tmp_path / "output"
    assert (out / "report.html").stat().st_size > 10_000
    runs = duckdb.sql(f"SELECT run_id, status FROM read_parquet('{out}/runs/*/run.parquet') "
                      "ORDER BY run_id").fetchall()  # fmt: skip
    assert runs == [("tour-1", "complete"), ("tour-2", "complete")]
    again = duckdb.sql(f"SELECT run_id, status, pages FROM read_parquet('{tmp_path}/archive/runs/*/run.parquet')").fetchall()
    assert again == [("tour-1-again", "complete", again[0][2])] and again[0][2] > 0
