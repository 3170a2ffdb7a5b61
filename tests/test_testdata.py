"""The vendored public test suites are byte-identical to the originals (tests/data/README.md)."""

from __future__ import annotations

import hashlib

from tests.conftest import TESTDATA


def test_vendored_suites_match_their_recorded_sha256_sums() -> None:
    lines = (TESTDATA / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 7
    for line in lines:
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((TESTDATA / name).read_bytes()).hexdigest() == digest, name


def test_every_vendored_file_has_a_recorded_sum() -> None:
    recorded = {line.split(maxsplit=1)[1] for line in
                (TESTDATA / "SHA256SUMS").read_text(encoding="utf-8").splitlines()}
    present = {str(p.relative_to(TESTDATA)) for p in TESTDATA.glob("*/*")}
    assert present == recorded
