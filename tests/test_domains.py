"""Registrable domains: hand-written cases, and the Public Suffix List's own test vectors."""

from __future__ import annotations

import re

import pytest

from linkspider.urls.domains import host_domains, is_ip_address, registrable_domain
from tests.conftest import vendored_file


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("alice.github.io", "alice.github.io"),  # private suffix
        ("blog-2.blogspot.com", "blog-2.blogspot.com"),
        ("docs.agency-1.gov.uk", "agency-1.gov.uk"),
        ("m.shop-3.com.au", "shop-3.com.au"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("www.xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("intranet.corp", "intranet.corp"),  # unlisted TLD: the PSL default rule
        ("127.0.0.1", "127.0.0.1"),  # an IP is its own registrable domain
        ("[::1]", "[::1]"),
        ("co.uk", None),
        ("localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_registrable_domain(host: str | None, expected: str | None) -> None:
    assert registrable_domain(host) == expected


def test_public_suffix_is_reported_with_the_domain() -> None:
    assert host_domains("shop.store-7.co.uk").public_suffix == "co.uk"
    assert host_domains("alice.github.io").public_suffix == "github.io"


def test_ip_addresses_are_recognized() -> None:
    assert is_ip_address("10.0.0.1") and is_ip_address("[2001:db8::1]")
    assert not is_ip_address("1.example")


def _psl_cases() -> list[tuple[str | None, str | None]]:
    text = vendored_file("psl", "test_psl.txt").read_text(encoding="utf-8")
    pattern = r"^checkPublicSuffix\((null|'[^']*'), (null|'[^']*')\);"

    def value(token: str) -> str | None:
        return None if token == "null" else token[1:-1]

    return [(value(a), value(b)) for a, b in re.findall(pattern, text, re.M)]


def test_public_suffix_list_test_vectors_all_pass_offline() -> None:
    """The PSL project's checkPublicSuffix cases (78), with the bundled list only."""
    cases = _psl_cases()
    assert len(cases) == 78
    wrong = [(host, want, got) for host, want in cases if (got := registrable_domain(host)) != want]
    assert wrong == []
