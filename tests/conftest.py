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
