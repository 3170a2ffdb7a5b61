"""Shared fixtures: paths to the public test suites, and the project root."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_TESTDATA = PROJECT_ROOT.parent / "shared" / "testdata"


def shared_testdata(*parts: str) -> Path:
    """Return a path inside ``../shared/testdata``; fail clearly when it is missing."""
    path = SHARED_TESTDATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"{path} is missing: the public test suites live in ../shared/testdata next to the "
            "project checkout (see ../shared/testdata/README.md)"
        )
    return path
