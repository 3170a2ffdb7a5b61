"""A site is the registrable domain, else the host: budgets, hops and is_external agree."""

from __future__ import annotations

import pytest

from linkspider.urls.domains import site_key, site_keys
from linkspider.extraction.links import describe_links

SITES = [
    ("www.news-1.com", "news-1.com"),
    ("shop.store-7.co.uk", "store-7.co.uk"),
    ("alice.github.io", "alice.github.io"),
    ("vm", "vm"),  # single-label host: no registrable domain
    ("VM.", "vm"),
    ("github.io", "github.io"),  # a public suffix itself
    ("co.uk", "co.uk"),
    ("blogspot.com", "blogspot.com"),
    ("127.0.0.1", "127.0.0.1"),
    ("[::1]", "[::1]"),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("host", "site"), SITES)
def test_site_key(host: str | None, site: str | None) -> None:
    assert site_key(host) == site


def test_site_keys_take_the_domain_else_the_host() -> None:
    assert site_keys(["a.com", None, None], ["www.a.com", "vm", None]) == ["a.com", "vm", None]


def test_links_between_hosts_without_registrable_domains_are_external() -> None:
    columns = describe_links(["a", "b", "c"], [None] * 3, [None] * 3, ["vm", "other", None], "vm")
    assert columns["is_external"] == [False, True, False]
