"""The README's data dictionary is the schema's own description of every column."""

from __future__ import annotations

from linkspider.dataset.schema import data_dictionary_markdown
from tests.conftest import PROJECT_ROOT


def test_readme_data_dictionary_matches_the_schema() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- data-dictionary:start -->\n") + len("<!-- data-dictionary:start -->\n")
    end = readme.index("<!-- data-dictionary:end -->")
    assert readme[start:end] == data_dictionary_markdown(), (
        "README data dictionary is out of date: regenerate it with python -m linkspider.dataset.schema --update-readme"
    )


def test_readme_starts_with_the_two_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == [
        "bash scripts/demo.sh", "bash scripts/test.sh"
    ]  # fmt: skip
