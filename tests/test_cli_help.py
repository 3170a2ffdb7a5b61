"""Every subcommand's --help says what it does and shows an example that the parser accepts."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys

import pytest

from linkspider.cli import EXAMPLES, SUMMARY, build_parser


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_top_help_lists_every_subcommand_in_plain_words() -> None:
    out = subprocess.run([sys.executable, "-m", "linkspider", "--help"], capture_output=True,
                         text=True, check=True).stdout
    listed = [line.split()[0] for line in SUMMARY.splitlines()[1:] if line.startswith("  ")]
    assert sorted(listed) == sorted(_subcommands())
    for name in _subcommands():
        assert f"\n  {name} " in out
    assert "``" not in out


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_example_is_accepted_by_its_subcommand(name: str) -> None:
    argv = shlex.split(EXAMPLES[name], comments=True)
    assert argv[:2] == ["linkspider", name]
    args = build_parser().parse_args(argv[1:])
    assert args.command == name and callable(args.func)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_each_subcommand_help_has_a_description_and_an_example(name: str) -> None:
    text = _subcommands()[name].format_help()
    description = _subcommands()[name].description
    assert description and description.endswith(".")
    assert " ".join(description.split()) in " ".join(text.split())
    assert f"example:\n  linkspider {name}" in text
